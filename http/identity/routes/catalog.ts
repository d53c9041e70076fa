import Router from '@koa/router';
import type { EndpointRow, RegionRow, ServiceRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { KeystoneError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { EndpointCreate, EndpointUpdate, RegionCreate, RegionUpdate, ServiceCreate, ServiceUpdate, body } from '../schemas.js';
import { authenticate, limited, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { endpointView, list, regionView, serviceView } from '../views.js';

// Keystone's ValidationError wording, for references to rows that do not exist.
const missing = (attribute: string, target: string) =>
  badRequest(
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
  );
// Region trees are walked at most this deep: a longer chain is a loop or an abuse.
const MAX_REGION_DEPTH = 64;

/**
 * The catalog as Keystone's resources: `/v3/regions`, `/v3/services`, `/v3/endpoints`. Regions are readable by any
 * authenticated user; services and endpoints, and every change, take the admin role (Keystone's defaults).
 */
export function catalogRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { Region, CatalogService, Endpoint } = s.models;
  const base = () => s.v3Url();
  const ordered = <T>(read: (limit: number) => Promise<T[]>) => limited(s, read);
  const now = () => new Date(s.clock.now());
  const admin = async (ctx: { get(h: string): string }) => requireAdmin(await authenticate(s, ctx));
  const region = async (id: string) => {
    const row = await readByPk(Region, id);
    if (!row) throw notFound('region', id);
    return row;
  };
  const service = async (id: string) => {
    const row = await readByPk(CatalogService, id);
    if (!row) throw notFound('service', id);
    return row;
  };
  const endpoint = async (id: string) => {
    const row = await readByPk(Endpoint, id);
    if (!row) throw notFound('endpoint', id);
    return row;
  };

  // Regions.
  router.get('/regions', async (ctx) => {
    await authenticate(s, ctx);
    const where = listWhere(ctx.query, ['parent_region_id'], false);
    const { rows, truncated } = await ordered((limit) => readRows(Region, { where, order: [['id', 'ASC']], limit }));
    ctx.body = list(
      base(),
      'regions',
      'regions',
      rows.map((r) => regionView(base(), r)),
      truncated,
    );
  });
  router.get('/regions/:id', async (ctx) => {
    await authenticate(s, ctx);
    ctx.body = { region: regionView(base(), await region(ctx.params.id)) };
  });
  const createRegion = async (given: { id?: string | null; description?: string | null; parent_region_id?: string | null }) => {
    const id = given.id || newId();
    if (given.parent_region_id) await region(given.parent_region_id);
    if (await readByPk(Region, id)) throw conflict('region', `Duplicate entry found with ID ${id}`);
    const row: RegionRow = {
      id,
      description: given.description ?? '',
      parent_region_id: given.parent_region_id ?? null,
      created_at: now(),
      updated_at: now(),
    };
    await Region.create(row);
    s.directory.changed();
    return row;
  };
  router.post('/regions', async (ctx) => {
    await admin(ctx);
    const { region: given } = await body(ctx, RegionCreate);
    ctx.status = 201;
    ctx.body = { region: regionView(base(), await createRegion(given)) };
  });
  router.put('/regions/:id', async (ctx) => {
    await admin(ctx);
    const { region: given } = await body(ctx, RegionCreate);
    if (given.id !== undefined && given.id !== ctx.params.id) {
      throw badRequest(`Conflicting region IDs specified: "${ctx.params.id}" != "${given.id}"`);
    }
    ctx.status = 201;
    ctx.body = { region: regionView(base(), await createRegion({ ...given, id: ctx.params.id })) };
  });
  router.patch('/regions/:id', async (ctx) => {
    await admin(ctx);
    const current = await region(ctx.params.id);
    const { region: given } = await body(ctx, RegionUpdate);
    if (given.id !== undefined && given.id !== current.id) throw badRequest('Cannot change ID');
    if (given.parent_region_id) {
      await region(given.parent_region_id);
      await refuseLoop(s, current.id, given.parent_region_id);
    }
    const next: RegionRow = {
      ...current,
      ...(given.description !== undefined ? { description: given.description ?? '' } : {}),
      ...(given.parent_region_id !== undefined ? { parent_region_id: given.parent_region_id } : {}),
      updated_at: now(),
    };
    await Region.update(next, { where: { id: current.id } });
    s.directory.changed();
    ctx.body = { region: regionView(base(), next) };
  });
  router.delete('/regions/:id', async (ctx) => {
    await admin(ctx);
    const root = await region(ctx.params.id);
    const tree = await subtree(s, root.id);
    if (await Endpoint.count({ where: { region_id: tree } })) {
      throw forbidden(`Unable to delete region ${root.id} because it or its child regions have associated endpoints.`);
    }
    await Region.destroy({ where: { id: tree } });
    s.directory.changed();
    ctx.status = 204;
  });

  // Services.
  router.get('/services', async (ctx) => {
    await admin(ctx);
    const where = listWhere(ctx.query, ['type', 'name']);
    const { rows, truncated } = await ordered((limit) => readRows(CatalogService, { where, order: [['id', 'ASC']], limit }));
    ctx.body = list(
      base(),
      'services',
      'services',
      rows.map((r) => serviceView(base(), r)),
      truncated,
    );
  });
  router.get('/services/:id', async (ctx) => {
    await admin(ctx);
    ctx.body = { service: serviceView(base(), await service(ctx.params.id)) };
  });
  router.post('/services', async (ctx) => {
    await admin(ctx);
    const { service: given } = await body(ctx, ServiceCreate);
    const row: ServiceRow = {
      id: newId(),
      type: given.type,
      name: given.name ?? null,
      description: given.description ?? null,
      enabled: given.enabled ?? true,
      created_at: now(),
      updated_at: now(),
    };
    await CatalogService.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { service: serviceView(base(), row) };
  });
  router.patch('/services/:id', async (ctx) => {
    await admin(ctx);
    const current = await service(ctx.params.id);
    const { service: given } = await body(ctx, ServiceUpdate);
    const next: ServiceRow = { ...current, ...given, updated_at: now() };
    await CatalogService.update(next, { where: { id: current.id } });
    s.directory.changed();
    ctx.body = { service: serviceView(base(), next) };
  });
  router.delete('/services/:id', async (ctx) => {
    await admin(ctx);
    const current = await service(ctx.params.id);
    // A service's endpoints go with it, as in Keystone.
    await CatalogService.sequelize!.transaction(async (transaction) => {
      await Endpoint.destroy({ where: { service_id: current.id }, transaction });
      await CatalogService.destroy({ where: { id: current.id }, transaction });
    });
    s.directory.changed();
    ctx.status = 204;
  });

  // Endpoints.
  const regionOf = async (given: { region_id?: string | null; region?: string | null }) => {
    // `region` is the v2-era name of `region_id`; Keystone takes either.
    const id = given.region_id !== undefined ? given.region_id : given.region;
    if (id && !(await readByPk(Region, id))) throw missing('endpoint region_id', 'region table');
    return id;
  };
  const serviceOf = async (id: string | undefined) => {
    if (id !== undefined && !(await readByPk(CatalogService, id))) throw missing('endpoint service_id', 'service table');
  };
  router.get('/endpoints', async (ctx) => {
    await admin(ctx);
    const where = listWhere(ctx.query, ['service_id', 'interface', 'region_id']);
    const { rows, truncated } = await ordered((limit) => readRows(Endpoint, { where, order: [['id', 'ASC']], limit }));
    ctx.body = list(
      base(),
      'endpoints',
      'endpoints',
      rows.map((r) => endpointView(base(), r)),
      truncated,
    );
  });
  router.get('/endpoints/:id', async (ctx) => {
    await admin(ctx);
    ctx.body = { endpoint: endpointView(base(), await endpoint(ctx.params.id)) };
  });
  router.post('/endpoints', async (ctx) => {
    await admin(ctx);
    const { endpoint: given } = await body(ctx, EndpointCreate);
    const regionId = await regionOf(given);
    await serviceOf(given.service_id);
    const row: EndpointRow = {
      id: newId(),
      service_id: given.service_id,
      interface: given.interface,
      region_id: regionId ?? null,
      url: given.url,
      enabled: given.enabled ?? true,
      seed: null,
      created_at: now(),
      updated_at: now(),
    };
    await Endpoint.create(row);
    s.directory.changed();
    ctx.status = 201;
    ctx.body = { endpoint: endpointView(base(), row) };
  });
  router.patch('/endpoints/:id', async (ctx) => {
    await admin(ctx);
    const current = await endpoint(ctx.params.id);
    const { endpoint: given } = await body(ctx, EndpointUpdate);
    const regionId = await regionOf(given);
    await serviceOf(given.service_id);
    const { region: _legacy, region_id: _region, ...changes } = given;
    // Changed through the API, the endpoint no longer follows the configuration.
    const next: EndpointRow = { ...current, ...changes, ...(regionId !== undefined ? { region_id: regionId } : {}), seed: null, updated_at: now() };
    await Endpoint.update(next, { where: { id: current.id } });
    s.directory.changed();
    ctx.body = { endpoint: endpointView(base(), next) };
  });
  router.delete('/endpoints/:id', async (ctx) => {
    await admin(ctx);
    const current = await endpoint(ctx.params.id);
    await Endpoint.destroy({ where: { id: current.id } });
    s.directory.changed();
    ctx.status = 204;
  });
  return router;
}

/** The region and every region below it. */
async function subtree(s: IdentityServices, root: string): Promise<string[]> {
  const all = await readRows(s.models.Region, { attributes: ['id', 'parent_region_id'] });
  const tree = new Set([root]);
  for (let grew = true, depth = 0; grew && depth < MAX_REGION_DEPTH; depth++) {
    grew = false;
    for (const r of all) {
      if (r.parent_region_id && tree.has(r.parent_region_id) && !tree.has(r.id)) {
        tree.add(r.id);
        grew = true;
      }
    }
  }
  return [...tree];
}

/** Refuses a parent that is the region itself or below it, as Keystone refuses a circular hierarchy. */
async function refuseLoop(s: IdentityServices, id: string, parent: string): Promise<void> {
  let at: string | null = parent;
  for (let depth = 0; at && depth <= MAX_REGION_DEPTH; depth++) {
    if (at === id) {
      throw new KeystoneError(400, `The specified parent region ${parent} would create a circular region hierarchy.`);
    }
    at = (await readByPk(s.models.Region, at))?.parent_region_id ?? null;
  }
}
