import Router from '@koa/router';
import type { FlavorExtraSpecRow } from '../../../models/index.js';
import { badRequest, notFound } from '../errors.js';
import { checkExtraSpecs } from '../extra-specs.js';
import { extraSpecsOf, flavorInPath } from '../flavor-store.js';
import { extraSpecsCreate, extraSpecUpdate } from '../flavor-request.js';
import { checkBody } from '../json-schema.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

const POLICY = 'os_compute_api:os-flavor-extra-specs';

/** A flavor's extra specs (`/flavors/{id}/os-extra_specs`): readers read them, admins set and unset them. */
export function flavorExtraSpecRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>({ prefix: '/flavors/:id/os-extra_specs' });
  const noSuchKey = (ctx: ComputeContext) => notFound(`Flavor ${ctx.params.id} has no extra specs with key ${ctx.params.key}.`);
  // Stored as text. Nova echoes the body as sent, numbers too, but Tempest's schema (the shape
  // clients are held to) has every value a string: the answer shows what was stored.
  const store = async (flavorId: string, specs: Record<string, string | number>) => {
    const rows: FlavorExtraSpecRow[] = Object.entries(specs).map(([key, value]) => ({ flavor_id: flavorId, key, value: String(value) }));
    await s.models.FlavorExtraSpec.bulkCreate(rows, { updateOnDuplicate: ['value'] });
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  };

  router.get('/', async (ctx) => {
    authorize(ctx, `${POLICY}:index`, 'reader');
    const flavor = await flavorInPath(s, ctx);
    ctx.body = { extra_specs: (await extraSpecsOf(s, [flavor.id])).get(flavor.id) };
  });

  router.post('/', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(extraSpecsCreate, body ?? null);
    authorize(ctx, `${POLICY}:create`, 'admin');
    const specs = (body as { extra_specs: Record<string, string | number> }).extra_specs;
    checkExtraSpecs(specs, ctx.state.version);
    const flavor = await flavorInPath(s, ctx);
    ctx.body = { extra_specs: await store(flavor.id, specs) };
  });

  router.get('/:key', async (ctx) => {
    authorize(ctx, `${POLICY}:show`, 'reader');
    const flavor = await flavorInPath(s, ctx);
    const row = (await s.models.FlavorExtraSpec.findOne({
      where: { flavor_id: flavor.id, key: ctx.params.key },
      raw: true,
    })) as FlavorExtraSpecRow | null;
    if (!row) throw noSuchKey(ctx);
    ctx.body = { [row.key]: row.value };
  });

  router.put('/:key', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(extraSpecUpdate, body ?? null);
    authorize(ctx, `${POLICY}:update`, 'admin');
    const specs = body as Record<string, string | number>;
    checkExtraSpecs(specs, ctx.state.version);
    if (!(ctx.params.key in specs)) throw badRequest('Request body and URI mismatch');
    const flavor = await flavorInPath(s, ctx);
    ctx.body = await store(flavor.id, specs);
  });

  // Nova answers 200 with no body.
  router.delete('/:key', async (ctx) => {
    authorize(ctx, `${POLICY}:delete`, 'admin');
    const flavor = await flavorInPath(s, ctx);
    const removed = await s.models.FlavorExtraSpec.destroy({ where: { flavor_id: flavor.id, key: ctx.params.key } });
    if (!removed) throw noSuchKey(ctx);
    ctx.status = 200;
    ctx.body = '';
  });

  return router;
}
