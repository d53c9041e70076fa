import Router from '@koa/router';
import type { InstanceRow } from '../../../models/index.js';
import { badRequest, notFound } from '../errors.js';
import { metadataLimit } from '../../../services/compute/quotas.js';
import { metaItemSchema, metadataSchema } from '../schemas/server-subresources.js';
import { askInstance, findServer } from '../server-lookup.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { checkBody } from '../json-schema.js';
import { metadataOf } from '../views/server.js';

const rule = (action: string) => `os_compute_api:server-metadata:${action}`;

/**
 * A server's metadata as Nova's server_metadata controller serves it: the body is checked
 * first, then the server is found (404 for another project's), then the policy; the instance
 * actor refuses changes to a locked or unsettled server and past the metadata_items quota.
 */
export function serverMetadataRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const change = async (ctx: ComputeContext, row: InstanceRow, items: Record<string, string>, replace: boolean) => {
    const limit = await metadataLimit(s, row.project_id);
    const next = await askInstance(s, ctx, row.uuid, (i, o) => i.updateMetadata({ items, replace, as_admin: ctx.state.auth.isAdmin, limit }, o));
    return metadataOf(next);
  };

  router.get('/servers/:id/metadata', async (ctx) => {
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('index'), 'reader');
    ctx.body = { metadata: metadataOf(row) };
  });

  // Nova answers 200 rather than 201 here, for compatibility.
  router.post('/servers/:id/metadata', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(metadataSchema, body);
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('create'), 'member');
    ctx.body = { metadata: await change(ctx, row, (body as { metadata: Record<string, string> }).metadata, false) };
  });

  router.put('/servers/:id/metadata', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(metadataSchema, body);
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('update_all'), 'member');
    ctx.body = { metadata: await change(ctx, row, (body as { metadata: Record<string, string> }).metadata, true) };
  });

  router.get('/servers/:id/metadata/:key', async (ctx) => {
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('show'), 'reader');
    const metadata = metadataOf(row);
    if (!(ctx.params.key in metadata)) throw notFound('Metadata item was not found');
    ctx.body = { meta: { [ctx.params.key]: metadata[ctx.params.key] } };
  });

  router.put('/servers/:id/metadata/:key', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(metaItemSchema, body);
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('update'), 'member');
    const meta = (body as { meta: Record<string, string> }).meta;
    if (!(ctx.params.key in meta)) throw badRequest('Request body and URI mismatch');
    await change(ctx, row, meta, false);
    ctx.body = { meta };
  });

  router.delete('/servers/:id/metadata/:key', async (ctx) => {
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule('delete'), 'member');
    if (!(ctx.params.key in metadataOf(row))) throw notFound('Metadata item was not found');
    await askInstance(s, ctx, row.uuid, (i, o) => i.deleteMetadataItem({ key: ctx.params.key, as_admin: ctx.state.auth.isAdmin }, o));
    ctx.status = 204;
  });

  return router;
}
