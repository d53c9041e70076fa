import Router from '@koa/router';
import { authorize, type ComputeServices, type ComputeState } from '../services.js';

/**
 * GET /os-aggregates: Stratus has no host aggregates yet, so the list is empty. The CLI's
 * `hypervisor show` lists aggregates to name the host's, and must not fail on their absence.
 */
export function aggregateRoutes(_s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/os-aggregates', (ctx) => {
    authorize(ctx, 'os_compute_api:os-aggregates:index', 'admin');
    ctx.body = { aggregates: [] };
  });
  return router;
}
