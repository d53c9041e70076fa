import Router from '@koa/router';
import type { InstanceRow } from '../../../models/index.js';
import { badRequest, forbidden, NovaFault, notFound } from '../errors.js';
import { tagBodySchema, tagsSchema } from '../schemas/server-subresources.js';
import { askInstance, instanceNotFound } from '../server-lookup.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { checkBody, firstMessage } from '../json-schema.js';
import { tag as tagSchema } from '../parameter-types.js';
import { tagsOf } from '../views/server.js';

const rule = (action: string) => `os_compute_api:os-server-tags:${action}`;
// Nova's server tags controller takes changes only in these vm_states.
const CHANGEABLE = ['active', 'paused', 'suspended', 'stopped'];

/**
 * A server's tags (2.26) as Nova's server_tags controller serves them. It finds the server by
 * its cell mapping, which every project can see, and checks the policy against the mapping's
 * project: another project's server is a 403 here, not the 404 of the rest of the API.
 */
export function serverTagRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  const serverFor = async (ctx: ComputeContext, action: string, level: 'reader' | 'member'): Promise<InstanceRow> => {
    if (!ctx.state.version.atLeast('2.26')) throw notFound('The resource could not be found.');
    const id = ctx.params.id;
    // Deleted servers keep their mapping; a server never made has none.
    const row = (await s.models.Instance.findOne({ where: { uuid: id }, raw: true })) as InstanceRow | null;
    if (!row) throw notFound(`Instance ${id} has no mapping to a cell.`);
    if (!ctx.state.auth.isAdmin && row.project_id !== ctx.state.project) throw forbidden(rule(action));
    authorize(ctx, rule(action), level);
    if (row.deleted_at) throw instanceNotFound(id);
    return row;
  };
  const settled = (row: InstanceRow, action: string) => {
    if (!CHANGEABLE.includes(row.vm_state)) {
      throw new NovaFault(409, `Cannot '${action}' instance ${row.uuid} while it is in vm_state ${row.vm_state}`);
    }
  };

  router.get('/servers/:id/tags', async (ctx) => {
    const row = await serverFor(ctx, 'index', 'reader');
    ctx.body = { tags: tagsOf(row) };
  });

  router.put('/servers/:id/tags', async (ctx) => {
    const body = await requestBody(ctx);
    if (ctx.state.version.atLeast('2.26')) checkBody(tagsSchema, body);
    const row = await serverFor(ctx, 'update_all', 'member');
    settled(row, 'update tags');
    const next = await askInstance(s, ctx, row.uuid, (i, o) => i.setTags({ tags: (body as { tags: string[] }).tags }, o));
    ctx.body = { tags: tagsOf(next) };
  });

  router.delete('/servers/:id/tags', async (ctx) => {
    const row = await serverFor(ctx, 'delete_all', 'member');
    settled(row, 'delete tags');
    await askInstance(s, ctx, row.uuid, (i, o) => i.deleteTags({}, o));
    ctx.status = 204;
  });

  router.get('/servers/:id/tags/:tag', async (ctx) => {
    const row = await serverFor(ctx, 'show', 'reader');
    if (!tagsOf(row).includes(ctx.params.tag)) throw notFound(`Server ${row.uuid} has no tag '${ctx.params.tag}'`);
    ctx.status = 204;
  });

  router.put('/servers/:id/tags/:tag', async (ctx) => {
    const body = await requestBody(ctx);
    if (ctx.state.version.atLeast('2.26')) checkBody(tagBodySchema, body ?? null);
    const row = await serverFor(ctx, 'update', 'member');
    settled(row, 'update tag');
    const tag = ctx.params.tag;
    const invalid = firstMessage(tagSchema, tag);
    if (invalid) {
      throw badRequest(`Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${invalid}`);
    }
    const { added } = await askInstance(s, ctx, row.uuid, (i, o) => i.addTag({ tag }, o));
    // Nova sends the tag's Location only with a 201; Tempest's schema asks for it on the 204 too, and it is harmless there.
    ctx.set('Location', `${s.publicUrl()}/v2.1/servers/${row.uuid}/tags/${encodeURIComponent(tag)}`);
    ctx.status = added ? 201 : 204;
    // An empty body, as Nova's (Koa would otherwise write the status text).
    if (added) ctx.body = '';
  });

  router.delete('/servers/:id/tags/:tag', async (ctx) => {
    const row = await serverFor(ctx, 'delete', 'member');
    settled(row, 'delete tag');
    if (!tagsOf(row).includes(ctx.params.tag)) throw notFound(`Instance ${row.uuid} has no tag '${ctx.params.tag}'`);
    await askInstance(s, ctx, row.uuid, (i, o) => i.deleteTag({ tag: ctx.params.tag }, o));
    ctx.status = 204;
  });

  return router;
}
