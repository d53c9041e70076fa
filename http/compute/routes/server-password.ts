import Router from '@koa/router';
import { findServer } from '../../../services/compute/servers.js';
import { authorize, type ComputeServices, type ComputeState } from '../services.js';

// GET/DELETE /servers/{id}/os-server-password. Nova keeps the encrypted password a guest posted to
// the metadata service (or its libvirt driver wrote after a changePassword through a guest agent) in
// the instance's system metadata. Stratus has neither a metadata service nor guest agents yet, so no
// password is ever set: it reads empty, and clearing it is the no-op Nova's clear would be then.

export function serverPasswordRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/servers/:id/os-server-password', async (ctx) => {
    await findServer(s, ctx.state, ctx.params.id, { attributes: ['project_id'] });
    authorize(ctx, 'os_compute_api:os-server-password:show', 'reader');
    ctx.body = { password: '' };
  });
  router.delete('/servers/:id/os-server-password', async (ctx) => {
    await findServer(s, ctx.state, ctx.params.id, { attributes: ['project_id'] });
    authorize(ctx, 'os_compute_api:os-server-password:clear', 'member');
    ctx.body = null;
    ctx.status = 204;
  });
  return router;
}
