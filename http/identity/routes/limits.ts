import Router from '@koa/router';
import type { LimitRow, RegisteredLimitRow } from '../../../models/index.js';
import type { WhereOptions } from 'sequelize';
import { readByPk, readRows, type RowModel } from '../../../models/typed.js';
import { KeystoneError, badRequest, conflict } from '../errors.js';
import { requireAdmin } from '../policy.js';
import { LimitUpdate, LimitsCreate, RegisteredLimitUpdate, RegisteredLimitsCreate, body } from '../schemas.js';
import { authenticate, limited, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import { list } from '../views.js';

// Keystone's ValidationError wording, for a limit naming a row that does not exist.
const missing = (attribute: string, target: string) =>
  badRequest(
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
  );

/**
 * Keystone's unified limits with its default `flat` model: registered limits (defaults per service, region and
 * resource) and limits (a project's or domain's own), each needing its registered limit. Any user reads the
 * registered ones; a user reads the limits of the project they are scoped to; changes take the admin role.
 */
export function limitRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3' });
  const { RegisteredLimit, Limit } = s.models;
  const base = () => s.v3Url();
  const now = () => new Date(s.clock.now());
  const registeredView = (r: RegisteredLimitRow) => ({
    id: r.id,
    service_id: r.service_id,
    region_id: r.region_id,
    resource_name: r.resource_name,
    default_limit: r.default_limit,
    description: r.description,
    links: { self: `${base()}/registered_limits/${r.id}` },
  });
  const limitView = (l: LimitRow) => ({
    id: l.id,
    project_id: l.project_id,
    domain_id: l.domain_id,
    service_id: l.service_id,
    region_id: l.region_id,
    resource_name: l.resource_name,
    resource_limit: l.resource_limit,
    description: l.description,
    links: { self: `${base()}/limits/${l.id}` },
  });
  const exist = async (given: { service_id?: string; region_id?: string | null; project_id?: string; domain_id?: string }, target: string) => {
    if (given.service_id !== undefined && !(await readByPk(s.models.CatalogService, given.service_id))) throw missing('service_id', target);
    if (given.region_id && !(await readByPk(s.models.Region, given.region_id))) throw missing('region_id', target);
    if (given.project_id !== undefined && !(await s.directory.project(given.project_id))) throw missing('project_id', target);
    if (given.domain_id !== undefined && !(await s.directory.domain(given.domain_id))) throw missing('domain_id', target);
  };
  const registeredFor = (l: { service_id: string; region_id?: string | null; resource_name: string }) =>
    readRows(RegisteredLimit, { where: { service_id: l.service_id, region_id: l.region_id ?? null, resource_name: l.resource_name }, limit: 1 });
  const ordered = <Row extends object, C extends object>(model: RowModel<Row, C>, where: WhereOptions) =>
    limited(s, (limit) => readRows(model, { where, order: [['id', 'ASC']], limit }));

  router.get('/registered_limits', async (ctx) => {
    await authenticate(s, ctx);
    const { rows, truncated } = await ordered(RegisteredLimit, listWhere(ctx.query, ['service_id', 'region_id', 'resource_name'], false));
    ctx.body = list(base(), 'registered_limits', 'registered_limits', rows.map(registeredView), truncated);
  });
  router.get('/registered_limits/:id', async (ctx) => {
    await authenticate(s, ctx);
    const row = await readByPk(RegisteredLimit, ctx.params.id);
    if (!row) throw new KeystoneError(404, `Could not find registered limit for ${ctx.params.id}.`);
    ctx.body = { registered_limit: registeredView(row) };
  });
  router.post('/registered_limits', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { registered_limits: given } = await body(ctx, RegisteredLimitsCreate);
    const keys = new Set<string>();
    for (const r of given) {
      await exist(r, 'registered_limit');
      const key = `${r.service_id}/${r.region_id ?? ''}/${r.resource_name}`;
      if (keys.has(key) || (await registeredFor(r)).length) throw conflict('registered_limit', 'Duplicate entry');
      keys.add(key);
    }
    const rows: RegisteredLimitRow[] = given.map((r) => ({
      id: newId(),
      service_id: r.service_id,
      region_id: r.region_id ?? null,
      resource_name: r.resource_name,
      default_limit: r.default_limit,
      description: r.description ?? null,
      created_at: now(),
      updated_at: now(),
    }));
    await RegisteredLimit.bulkCreate(rows);
    ctx.status = 201;
    ctx.body = { registered_limits: rows.map(registeredView) };
  });
  router.patch('/registered_limits/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await readByPk(RegisteredLimit, ctx.params.id);
    if (!current) throw new KeystoneError(404, `Could not find registered limit for ${ctx.params.id}.`);
    const { registered_limit: given } = await body(ctx, RegisteredLimitUpdate);
    await exist(given, 'registered_limit');
    const next: RegisteredLimitRow = { ...current, ...given, updated_at: now() };
    const identityChanged =
      next.service_id !== current.service_id || next.region_id !== current.region_id || next.resource_name !== current.resource_name;
    if (identityChanged) {
      if (await Limit.count({ where: { service_id: current.service_id, region_id: current.region_id, resource_name: current.resource_name } })) {
        throw referenced(current.id);
      }
      if ((await registeredFor(next)).length) throw conflict('registered_limit', 'Duplicate entry');
    }
    await RegisteredLimit.update(next, { where: { id: current.id } });
    ctx.body = { registered_limit: registeredView(next) };
  });
  router.delete('/registered_limits/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await readByPk(RegisteredLimit, ctx.params.id);
    if (!current) throw new KeystoneError(404, `Could not find registered limit for ${ctx.params.id}.`);
    if (await Limit.count({ where: { service_id: current.service_id, region_id: current.region_id, resource_name: current.resource_name } })) {
      throw referenced(current.id);
    }
    await RegisteredLimit.destroy({ where: { id: current.id } });
    ctx.status = 204;
  });

  router.get('/limits/model', async (ctx) => {
    await authenticate(s, ctx);
    ctx.body = { model: { name: 'flat', description: 'Limit enforcement and validation does not take project hierarchy into consideration.' } };
  });
  router.get('/limits', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const where = listWhere(ctx.query, ['service_id', 'region_id', 'resource_name', 'project_id', 'domain_id'], false);
    // Without the admin role: the limits of the project (or domain) the token is scoped to, nothing else.
    if (!auth.isAdmin) Object.assign(where, auth.projectId ? { project_id: auth.projectId } : { domain_id: auth.domainId ?? null, project_id: null });
    const { rows, truncated } = await ordered(Limit, where);
    ctx.body = list(base(), 'limits', 'limits', rows.map(limitView), truncated);
  });
  router.get('/limits/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await readByPk(Limit, ctx.params.id);
    const visible = row && (auth.isAdmin || (row.project_id ? row.project_id === auth.projectId : row.domain_id === auth.domainId));
    if (!visible) throw new KeystoneError(404, `Could not find limit for ${ctx.params.id}.`);
    ctx.body = { limit: limitView(row) };
  });
  router.post('/limits', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const { limits: given } = await body(ctx, LimitsCreate);
    const keys = new Set<string>();
    for (const l of given) {
      if (Boolean(l.project_id) === Boolean(l.domain_id))
        throw badRequest("Invalid input for field 'limits': a limit is for a project_id or a domain_id");
      await exist(l, 'limit');
      if (!(await registeredFor(l)).length) throw new KeystoneError(403, 'Unable to create a limit that has no corresponding registered limit.');
      const owner = l.project_id ? { project_id: l.project_id } : { domain_id: l.domain_id! };
      const key = `${l.project_id ?? ''}/${l.domain_id ?? ''}/${l.service_id}/${l.region_id ?? ''}/${l.resource_name}`;
      const taken = await Limit.count({
        where: { ...owner, service_id: l.service_id, region_id: l.region_id ?? null, resource_name: l.resource_name },
      });
      if (keys.has(key) || taken) throw conflict('limit', 'Duplicate entry');
      keys.add(key);
    }
    const rows: LimitRow[] = given.map((l) => ({
      id: newId(),
      project_id: l.project_id ?? null,
      domain_id: l.domain_id ?? null,
      service_id: l.service_id,
      region_id: l.region_id ?? null,
      resource_name: l.resource_name,
      resource_limit: l.resource_limit,
      description: l.description ?? null,
      created_at: now(),
      updated_at: now(),
    }));
    await Limit.bulkCreate(rows);
    ctx.status = 201;
    ctx.body = { limits: rows.map(limitView) };
  });
  router.patch('/limits/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    const current = await readByPk(Limit, ctx.params.id);
    if (!current) throw new KeystoneError(404, `Could not find limit for ${ctx.params.id}.`);
    const { limit: given } = await body(ctx, LimitUpdate);
    const next: LimitRow = { ...current, ...given, updated_at: now() };
    await Limit.update(next, { where: { id: current.id } });
    ctx.body = { limit: limitView(next) };
  });
  router.delete('/limits/:id', async (ctx) => {
    requireAdmin(await authenticate(s, ctx));
    if (!(await Limit.destroy({ where: { id: ctx.params.id } }))) throw new KeystoneError(404, `Could not find limit for ${ctx.params.id}.`);
    ctx.status = 204;
  });
  return router;
}

const referenced = (id: string) =>
  new KeystoneError(403, `Unable to update or delete registered limit ${id} because there are project limits associated with it.`);
