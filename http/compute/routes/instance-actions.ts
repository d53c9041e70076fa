import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import type { InstanceActionRow } from '../../../models/index.js';
import { badRequest, notFound } from '../errors.js';
import { MAX_LIMIT } from '../pagination.js';
import { findServer } from '../server-lookup.js';
import { authorize, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { actionView, eventView, eventVisibility } from '../views/instance-actions.js';
import { readRow, readRows } from '../../../models/typed.js';

/** The server, deleted ones too from 2.21 (Nova reads them with read_deleted='yes'); another project's is 404. */
const serverOf = (s: ComputeServices, ctx: ComputeContext) =>
  findServer(s, ctx, ctx.params.id, { attributes: ['uuid', 'project_id', 'deleted_at'], deleted: ctx.state.version.atLeast('2.21') });

const invalidQuery = (name: string, value: string, why: string) => badRequest(`Invalid input for query parameters ${name}. Value: ${value}. ${why}`);

interface ListQuery {
  limit?: number;
  marker?: string;
  since?: Date;
  before?: Date;
}

/** The 2.58 query schema (changes-before from 2.66), in Nova's words. */
function listQuery(ctx: ComputeContext): ListQuery {
  const q = ctx.query as Record<string, string | string[] | undefined>;
  const allowed = ['limit', 'marker', 'changes-since', ...(ctx.state.version.atLeast('2.66') ? ['changes-before'] : [])];
  const extra = Object.keys(q).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw badRequest(
      `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
    );
  const single = (name: string): string | undefined => {
    const value = q[name];
    if (Array.isArray(value)) throw invalidQuery(name, JSON.stringify(value), `${JSON.stringify(value)} is too long`);
    return value;
  };
  const date = (name: string) => {
    const value = single(name);
    if (value === undefined) return undefined;
    const at = new Date(value);
    if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value) || Number.isNaN(at.getTime()))
      throw invalidQuery(name, value, `'${value}' is not a 'date-time'`);
    return at;
  };
  const limitText = single('limit');
  if (limitText !== undefined && !/^[0-9]+$/.test(limitText)) throw invalidQuery('limit', limitText, `'${limitText}' does not match '^[0-9]*$'`);
  const since = date('changes-since');
  const before = date('changes-before');
  if (since && before && before < since) throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  return { limit: limitText === undefined ? undefined : Number(limitText), marker: single('marker'), since, before };
}

/** Newest first, as Nova sorts them (created_at, then id, descending). */
const newestFirst: Array<[string, string]> = [
  ['created_at', 'DESC'],
  ['id', 'DESC'],
];

/** os-instance-actions: what was done to a server, and (by policy) the steps it took. */
export function instanceActionRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const actions = s.models.InstanceAction;

  router.get('/servers/:id/os-instance-actions', async (ctx) => {
    const v = ctx.state.version;
    // The query is checked first, as Nova's schema decorator does, then the server and the policy.
    const query = v.atLeast('2.58') ? listQuery(ctx) : undefined;
    const server = await serverOf(s, ctx);
    authorize(ctx, 'os_compute_api:os-instance-actions:list', 'reader');
    const where: Record<string | symbol, unknown> = { instance_uuid: server.uuid };
    if (!query) {
      // Before 2.58 Nova lists every action; the newest max_limit bound what one request reads, however many a member caused.
      const rows = await readRows(actions, { where, order: newestFirst, limit: MAX_LIMIT });
      ctx.body = { instanceActions: rows.map((a) => actionView(a, v)) };
      return;
    }
    if (query.since || query.before) {
      where.updated_at = { ...(query.since ? { [Op.gte]: query.since } : {}), ...(query.before ? { [Op.lte]: query.before } : {}) };
    }
    if (query.marker !== undefined) {
      const marker = (await actions.findOne({
        where: { instance_uuid: server.uuid, request_id: query.marker },
        order: newestFirst,
        raw: true,
      })) as InstanceActionRow | null;
      // Nova reports the marker it failed to find after replacing it with the lookup's result: None.
      if (!marker) throw badRequest('Marker None could not be found.');
      // SQLite hands the time back as text in the form Sequelize writes it.
      const created =
        typeof marker.created_at === 'string'
          ? new Date((marker.created_at as string).replace(' ', 'T').replace(/ ?\+00:00$/, 'Z'))
          : marker.created_at;
      where[Op.or] = [{ created_at: { [Op.lt]: created } }, { created_at: created, id: { [Op.lt]: marker.id } }];
    }
    const limit = Math.min(query.limit ?? MAX_LIMIT, MAX_LIMIT);
    const rows = limit === 0 ? [] : await readRows(actions, { where: where as WhereOptions, order: newestFirst, limit });
    ctx.body = { instanceActions: rows.map((a) => actionView(a, v)), ...nextLink(s, ctx, server.uuid, rows, limit) };
  });

  router.get('/servers/:id/os-instance-actions/:requestId', async (ctx) => {
    const server = await serverOf(s, ctx);
    authorize(ctx, 'os_compute_api:os-instance-actions:show', 'reader');
    const v = ctx.state.version;
    const action = await readRow(actions, { where: { instance_uuid: server.uuid, request_id: ctx.params.requestId }, order: newestFirst });
    if (!action) throw notFound(`Action ${ctx.params.requestId} not found`);
    const show = eventVisibility(ctx.state.auth.isAdmin, v);
    const events = show ? await readRows(s.models.InstanceActionEvent, { where: { action_id: action.id }, order: newestFirst }) : undefined;
    const projectId = action.project_id ?? server.project_id;
    ctx.body = { instanceAction: { ...actionView(action, v), ...(events ? { events: events.map((e) => eventView(e, projectId, show!)) } : {}) } };
  });

  return router;
}

/**
 * Nova's next link: given whenever a page is as long as the limit asked (or the maximum), with the
 * request's parameters sorted and the marker set to the page's last request id.
 */
function nextLink(s: ComputeServices, ctx: ComputeContext, uuid: string, rows: InstanceActionRow[], limit: number) {
  if (!limit || rows.length !== limit) return {};
  const params = new URLSearchParams(Object.entries(ctx.query as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  params.set('marker', rows[rows.length - 1].request_id ?? '');
  return { links: [{ rel: 'next', href: `${s.publicUrl()}/v2.1/servers/${uuid}/os-instance-actions?${params}` }] };
}
