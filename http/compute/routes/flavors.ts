import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import type { FlavorRow } from '../../../models/index.js';
import { badRequest, notFound } from '../errors.js';
import { authorize, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { flavorDetail, flavorSummary } from '../views/flavor.js';

const intParam = (name: string, value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw badRequest(`Invalid ${name} filter [${String(value)}]`);
  return Number(value);
};

export async function findFlavor(s: ComputeServices, id: string): Promise<FlavorRow | undefined> {
  return (await s.models.Flavor.findOne({ where: { id, deleted_at: null }, raw: true }) ?? undefined) as FlavorRow | undefined;
}

/** Flavors: list, detail and show, with Nova's is_public, minRam and minDisk filters and marker paging. */
export function flavorRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const list = async (ctx: ComputeContext) => {
    authorize(ctx, 'os_compute_api:flavors:index', 'reader');
    const q = ctx.query;
    const where: Record<string, unknown> = { deleted_at: null };
    const isPublic = typeof q.is_public === 'string' ? q.is_public.toLowerCase() : undefined;
    // Everyone sees public flavors by default; admins may ask for all (`is_public=none`) or private ones.
    if (isPublic === undefined || !ctx.state.auth.isAdmin) where.is_public = true;
    else if (['false', '0', 'no', 'f', 'n', 'off'].includes(isPublic)) where.is_public = false;
    else if (isPublic !== 'none') where.is_public = true;
    const minRam = intParam('minRam', q.minRam);
    const minDisk = intParam('minDisk', q.minDisk);
    if (minRam !== undefined) where.memory_mb = { [Op.gte]: minRam };
    if (minDisk !== undefined) where.root_gb = { [Op.gte]: minDisk };
    const rows = (await s.models.Flavor.findAll({ where: where as WhereOptions, order: [['memory_mb', 'ASC'], ['id', 'ASC']] }))
      .map((r) => r.get({ plain: true }) as FlavorRow);
    const marker = typeof q.marker === 'string' ? q.marker : undefined;
    const start = marker ? rows.findIndex((r) => r.id === marker) + 1 : 0;
    if (marker && start === 0) throw badRequest(`marker [${marker}] not found`);
    const limit = intParam('limit', q.limit) ?? rows.length;
    return rows.slice(start, start + limit);
  };
  router.get('/flavors', async (ctx) => { ctx.body = { flavors: (await list(ctx)).map((f) => flavorSummary(s, f, ctx.state.version)) }; });
  router.get('/flavors/detail', async (ctx) => { ctx.body = { flavors: (await list(ctx)).map((f) => flavorDetail(s, f, ctx.state.version)) }; });
  router.get('/flavors/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:flavors:show', 'reader');
    const flavor = await findFlavor(s, ctx.params.id);
    if (!flavor) throw notFound(`Flavor ${ctx.params.id} could not be found.`);
    ctx.body = { flavor: flavorDetail(s, flavor, ctx.state.version) };
  });
  // Extra specs come with flavor management; until then every flavor has none.
  router.get('/flavors/:id/os-extra_specs', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-flavor-extra-specs:index', 'reader');
    if (!await findFlavor(s, ctx.params.id)) throw notFound(`Flavor ${ctx.params.id} could not be found.`);
    ctx.body = { extra_specs: {} };
  });
  router.get('/flavors/:id/os-extra_specs/:key', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-flavor-extra-specs:show', 'reader');
    if (!await findFlavor(s, ctx.params.id)) throw notFound(`Flavor ${ctx.params.id} could not be found.`);
    throw notFound(`Flavor ${ctx.params.id} has no extra specs with key ${ctx.params.key}.`);
  });
  return router;
}
