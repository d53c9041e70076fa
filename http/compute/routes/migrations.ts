import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import { readRow, readRows } from '../../../models/typed.js';
import { ComputeFault } from '../../../services/compute/errors.js';
import { badRequest, notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import { collectionLinks, MAX_LIMIT } from '../pagination.js';
import { findServer } from '../server-lookup.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { LIVE_IN_PROGRESS, migrationView, serverMigrationView } from '../views/migration.js';

// os-migrations (every move, for admins) and /servers/{id}/migrations (a server's live migrations in
// progress, with force_complete and abort), as Nova 26's migrations.py and server_migrations.py.

const newestFirst: Array<[string, string]> = [
  ['created_at', 'DESC'],
  ['id', 'DESC'],
];

type Query = Record<string, string | string[] | undefined>;
const invalidQuery = (name: string, value: string, why: string) => badRequest(`Invalid input for query parameters ${name}. Value: ${value}. ${why}`);
const lastOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);

/** The query as Nova's list_query_schema_v20 (extra keys ignored), v259 (closed; paging), v266, v280 check it. */
function listQuery(ctx: ComputeContext) {
  const v = ctx.state.version;
  const q: Query = ctx.query;
  const filters = ['hidden', 'host', 'instance_uuid', 'source_compute', 'status', 'migration_type'];
  const paging = v.atLeast('2.59') ? ['limit', 'marker', 'changes-since'] : [];
  const allowed = [...filters, ...paging, ...(v.atLeast('2.66') ? ['changes-before'] : []), ...(v.atLeast('2.80') ? ['user_id', 'project_id'] : [])];
  if (v.atLeast('2.59')) {
    const extra = Object.keys(q).filter((k) => !allowed.includes(k));
    if (extra.length)
      throw badRequest(
        `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
      );
  }
  const single = (name: string): string | undefined => {
    const value = q[name];
    if (Array.isArray(value) && value.length > 1) throw invalidQuery(name, JSON.stringify(value), `${JSON.stringify(value)} is too long`);
    return lastOf(value);
  };
  const date = (name: string) => {
    if (!allowed.includes(name)) return undefined;
    const value = single(name);
    if (value === undefined) return undefined;
    const when = new Date(value);
    if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value) || Number.isNaN(when.getTime()))
      throw invalidQuery(name, value, `'${value}' is not a 'date-time'`);
    return when;
  };
  const limitText = allowed.includes('limit') ? single('limit') : undefined;
  if (limitText !== undefined && !/^[0-9]+$/.test(limitText)) throw invalidQuery('limit', limitText, `'${limitText}' does not match '^[0-9]*$'`);
  const since = date('changes-since');
  const before = date('changes-before');
  if (since && before && before < since) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  const where: Record<string | symbol, unknown> = { deleted_at: null };
  const eq = (name: string, column = name) => {
    const value = lastOf(q[name]);
    if (allowed.includes(name) && value !== undefined) where[column] = value;
  };
  ['instance_uuid', 'source_compute', 'status', 'migration_type', 'user_id', 'project_id'].forEach((n) => eq(n));
  const host = lastOf(q.host);
  const and: unknown[] = [];
  if (host !== undefined) and.push({ [Op.or]: [{ source_compute: host }, { dest_compute: host }] });
  const hidden = lastOf(q.hidden);
  where.hidden = hidden !== undefined && ['true', '1', 'yes', 'on'].includes(hidden.toLowerCase());
  if (since || before) where.updated_at = { ...(since ? { [Op.gte]: since } : {}), ...(before ? { [Op.lte]: before } : {}) };
  return {
    where,
    and,
    limit: limitText === undefined ? undefined : Number(limitText),
    marker: allowed.includes('marker') ? single('marker') : undefined,
  };
}

const asDate = (d: Date | string | null) => (typeof d === 'string' ? new Date(d.replace(' ', 'T').replace(/ ?\+00:00$/, 'Z')) : d);

export function migrationRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const migrations = s.models.Migration;

  router.get('/os-migrations', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-migrations:index', 'admin');
    const v = ctx.state.version;
    const query = listQuery(ctx);
    const and = [...query.and];
    if (query.marker !== undefined) {
      const marker = await readRow(migrations, { where: { uuid: query.marker } });
      if (!marker) throw badRequest(`Marker ${query.marker} could not be found.`);
      const created = asDate(marker.created_at);
      and.push({ [Op.or]: [{ created_at: { [Op.lt]: created } }, { created_at: created, id: { [Op.lt]: marker.id } }] });
    }
    const limit = Math.min(query.limit ?? MAX_LIMIT, MAX_LIMIT);
    const where = (and.length ? { ...query.where, [Op.and]: and } : query.where) as WhereOptions;
    const rows = limit === 0 ? [] : await readRows(migrations, { where, order: newestFirst, limit });
    const next = v.atLeast('2.59')
      ? collectionLinks(
          s,
          ctx,
          'os-migrations',
          rows.map((m) => m.uuid),
        )
      : [];
    ctx.body = { migrations: rows.map((m) => migrationView(s, m, v)), ...(next.length ? { migrations_links: next } : {}) };
  });

  /** The server (404), then the admin policy; the version bounds are the routes' own. */
  const server = async (ctx: ComputeContext, since: string, rule: string) => {
    if (!ctx.state.version.atLeast(since)) throw notFound('The resource could not be found.');
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, rule, 'admin');
    return row;
  };
  const migrationOf = (uuid: string, id: string) =>
    /^\d{1,16}$/.test(id) ? readRow(migrations, { where: { id: Number(id), instance_uuid: uuid, deleted_at: null } }) : Promise.resolve(null);

  router.get('/servers/:id/migrations', async (ctx) => {
    const row = await server(ctx, '2.23', 'os_compute_api:servers:migrations:index');
    const rows = await readRows(migrations, {
      where: { instance_uuid: row.uuid, migration_type: 'live-migration', status: { [Op.in]: LIVE_IN_PROGRESS }, deleted_at: null },
      order: newestFirst,
      limit: MAX_LIMIT,
    });
    ctx.body = { migrations: rows.map((m) => serverMigrationView(m, ctx.state.version)) };
  });

  router.get('/servers/:id/migrations/:migrationId', async (ctx) => {
    const row = await server(ctx, '2.23', 'os_compute_api:servers:migrations:show');
    const id = ctx.params.migrationId;
    const m = await migrationOf(row.uuid, id);
    if (!m) throw notFound(`In-progress live migration ${id} is not found for server ${row.uuid}.`);
    if (m.migration_type !== 'live-migration') throw notFound(`Migration ${id} for server ${row.uuid} is not live-migration.`);
    if (!LIVE_IN_PROGRESS.includes(m.status ?? '')) throw notFound(`Live migration ${id} for server ${row.uuid} is not in progress.`);
    ctx.body = { migration: serverMigrationView(m, ctx.state.version) };
  });

  /**
   * force_complete and abort: Nova checks the lock and that the server is migrating (409), then the migration
   * (force_complete: 400 when missing; abort: 404) and its status (400). A simulated live migration finishes
   * at once, so these find the server no longer migrating, as Nova does once one has completed.
   */
  const steer = async (ctx: ComputeContext, what: 'force_complete' | 'abort live migration', missing: number) => {
    const row = await server(
      ctx,
      what === 'force_complete' ? '2.22' : '2.24',
      what === 'force_complete' ? 'os_compute_api:servers:migrations:force_complete' : 'os_compute_api:servers:migrations:delete',
    );
    if (row.locked && !ctx.state.auth.isAdmin) throw new ComputeFault(409, `Instance ${row.uuid} is locked`);
    if (row.task_state !== 'migrating')
      throw new ComputeFault(409, `Cannot '${what}' instance ${row.uuid} while it is in task_state ${row.task_state ?? 'None'}`);
    const id = ctx.params.migrationId;
    const m = await migrationOf(row.uuid, id);
    if (!m) throw new ComputeFault(missing, `Migration ${id} for instance ${row.uuid} not found`);
    const allowed = what === 'force_complete' ? ['running'] : LIVE_IN_PROGRESS;
    if (!allowed.includes(m.status ?? ''))
      throw badRequest(
        `Migration ${id} state of instance ${row.uuid} is ${m.status}. Cannot ${what === 'force_complete' ? 'force complete' : 'abort live migration'} while the migration is in this state.`,
      );
    // A live migration in progress on a simulated host has nothing left to speed up or stop: it completes.
  };

  router.post('/servers/:id/migrations/:migrationId/action', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody({ type: 'object', properties: { force_complete: { type: 'null' } }, required: ['force_complete'], additionalProperties: false }, body);
    await steer(ctx, 'force_complete', 400);
    ctx.body = null;
    ctx.status = 202;
  });

  router.delete('/servers/:id/migrations/:migrationId', async (ctx) => {
    await steer(ctx, 'abort live migration', 404);
    ctx.body = null;
    ctx.status = 202;
  });

  return router;
}
