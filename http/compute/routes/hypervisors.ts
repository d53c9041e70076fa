import Router from '@koa/router';
import { RE2JS } from 're2js';
import { Op } from 'sequelize';
import type { HostRow } from '../../../models/index.js';
import { computeActors } from '../../../services/compute/actors.js';
import { badRequest, NovaFault, notFound } from '../errors.js';
import { checkQuery } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { lastOf, pyInt, truthy } from '../nova-values.js';
import { MAX_LIMIT } from '../pagination.js';
import { hypervisorListQuery, hypervisorShowQuery } from '../schemas/hypervisors.js';
import { computeUp, hostRows, hypervisorById, idInPath } from '../service-records.js';
import { authorize, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import {
  hypervisorDetail,
  hypervisorStatistics,
  hypervisorSummary,
  withServers,
  type HostedServer,
  type HypervisorFacts,
} from '../views/hypervisor.js';
import { readRows } from '../../../models/typed.js';

const rule = (name: string) => `os_compute_api:os-hypervisors:${name}`;
// A route a microversion does not have answers as if it did not exist.
const gone = () => notFound('The resource could not be found.');
const unknownHypervisor = (id: string) => notFound(`Hypervisor with ID '${id}' could not be found.`);

// Nova matches hypervisor_hostname LIKE '%pattern%' (MySQL's collation: case-insensitive; % and _ are wildcards).
// On RE2, so that a pattern of many '%' cannot backtrack.
function likeMatcher(pattern: string): (name: string) => boolean {
  const body = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : RE2JS.quote(c))).join('');
  const re = RE2JS.compile(body, RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL);
  return (name) => re.test(name);
}

/** os-hypervisors: one per compute host, from the hosts table the host actors keep (admin only, as in Nova). */
export function hypervisorRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  const matching = async (pattern: string) => {
    const matches = likeMatcher(pattern);
    const found = (await hostRows(s)).filter((h) => matches(h.name));
    if (!found.length) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    return found;
  };

  /** What the views need beyond the rows: who is up, the hosts' busy servers, their servers and uptimes when asked. */
  async function facts(hosts: HostRow[], want: { servers?: boolean; workload?: boolean; uptime?: boolean }): Promise<HypervisorFacts[]> {
    const now = s.clock.now();
    const names = hosts.map((h) => h.name);
    const rows =
      want.servers || want.workload
        ? await readRows(s.models.Instance, {
            where: { host: { [Op.in]: names }, deleted_at: null, ...(want.servers ? {} : { task_state: { [Op.ne]: null } }) },
            attributes: ['uuid', 'display_name', 'host', 'task_state'],
            order: [
              ['created_at', 'ASC'],
              ['uuid', 'ASC'],
            ],
          })
        : [];
    return Promise.all(
      hosts.map(async (row) => {
        const up = computeUp(row, now, s.serviceDownMs) && !s.nodeGone?.('nova-compute', row.name);
        const on = rows.filter((r) => r.host === row.name);
        return {
          row,
          up,
          workload: on.filter((r) => r.task_state !== null).length,
          ...(want.servers ? { servers: on.map((r): HostedServer => ({ name: r.display_name, uuid: r.uuid })) } : {}),
          ...(want.uptime ? { uptime: up ? await uptimeOf(row).catch(() => null) : null } : {}),
        };
      }),
    );
  }

  const uptimeOf = async (h: HostRow) => (await computeActors(s.actors).host(h.name).uptime({})).uptime;

  /** The hypervisor an id names, checked as Nova's _validate_id does for the version. */
  async function byId(ctx: ComputeContext, id: string): Promise<HostRow> {
    const key = idInPath(ctx.state.version, id, () => unknownHypervisor(id));
    const host = hypervisorById(await hostRows(s), key);
    if (!host) throw unknownHypervisor(id);
    return host;
  }

  const list = (detail: boolean) => async (ctx: ComputeContext) => {
    const v = ctx.state.version;
    const q = ctx.query;
    const schema = hypervisorListQuery(v);
    if (schema) checkQuery(schema, q);
    const paged = v.atLeast('2.33');
    const limit = paged && q.limit !== undefined ? Math.min(MAX_LIMIT, Number(lastOf(q.limit))) : MAX_LIMIT;
    const marker = paged ? lastOf(q.marker) : undefined;
    const pattern = v.atLeast('2.53') ? lastOf(q.hypervisor_hostname_pattern) : undefined;
    const servers = v.atLeast('2.53') && truthy(lastOf(q.with_servers));
    authorize(ctx, rule(detail ? 'list-detail' : 'list'), 'admin');

    let hosts: HostRow[];
    if (pattern !== undefined) {
      if (q.limit !== undefined || marker) {
        throw badRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
      }
      hosts = await matching(pattern);
    } else {
      hosts = await hostRows(s);
      if (marker !== undefined) {
        // A marker is the last id of the previous page: an integer, or (as Nova also accepts) a UUID.
        const last = hypervisorById(hosts, pyInt(marker) ?? marker);
        if (!last) throw badRequest(`marker [${marker}] not found`);
        hosts = hosts.slice(hosts.indexOf(last) + 1);
      }
      hosts = hosts.slice(0, limit);
    }
    const all = await facts(hosts, { servers, workload: detail && !v.atLeast('2.88'), uptime: detail && v.atLeast('2.88') });
    const hypervisors = all.map((f) => withServers(detail ? hypervisorDetail(f, v) : hypervisorSummary(f, v), f, v, servers));
    ctx.body = { hypervisors, ...(paged && pattern === undefined ? nextLink(ctx, detail, hypervisors, limit) : {}) };
  };

  // Nova's collection link: a full page (limit, or max_limit when none was given) ends with a `next`.
  function nextLink(ctx: ComputeContext, detail: boolean, page: Array<{ id: number | string }>, limit: number) {
    if (!limit || page.length !== limit) return {};
    const q = ctx.query;
    const known = ctx.state.version.atLeast('2.53') ? Object.keys(q) : ['limit', 'marker'].filter((k) => k in q);
    const params = Object.fromEntries([...known, 'marker'].sort().map((k) => [k, k === 'marker' ? String(page[page.length - 1].id) : lastOf(q[k])!]));
    const href = `${s.publicUrl()}/v2.1/os-hypervisors${detail ? '/detail' : ''}?${new URLSearchParams(params)}`;
    return { hypervisors_links: [{ rel: 'next', href }] };
  }

  router.get('/os-hypervisors', list(false));
  router.get('/os-hypervisors/detail', list(true));

  router.get('/os-hypervisors/statistics', async (ctx) => {
    if (ctx.state.version.atLeast('2.88')) throw gone();
    authorize(ctx, rule('statistics'), 'admin');
    const hosts = await hostRows(s);
    const busy = new Map((await facts(hosts, { workload: true })).map((f) => [f.row.name, f.workload ?? 0]));
    ctx.body = { hypervisor_statistics: hypervisorStatistics(hosts, (h) => busy.get(h.name) ?? 0) };
  });

  router.get('/os-hypervisors/:id', async (ctx) => {
    const v = ctx.state.version;
    const q = ctx.query;
    const schema = hypervisorShowQuery(v);
    if (schema) checkQuery(schema, q);
    const servers = v.atLeast('2.53') && truthy(lastOf(q.with_servers));
    authorize(ctx, rule('show'), 'admin');
    const host = await byId(ctx, ctx.params.id);
    const [f] = await facts([host], { servers, workload: !v.atLeast('2.88'), uptime: v.atLeast('2.88') });
    ctx.body = { hypervisor: withServers(hypervisorDetail(f, v), f, v, servers) };
  });

  router.get('/os-hypervisors/:id/uptime', async (ctx) => {
    if (ctx.state.version.atLeast('2.88')) throw gone();
    authorize(ctx, rule('uptime'), 'admin');
    const host = await byId(ctx, ctx.params.id);
    const [f] = await facts([host], {});
    if (!f.up) throw badRequest(`Compute service of ${host.name} is unavailable at this time.`);
    let uptime: string;
    try {
      uptime = await uptimeOf(host);
    } catch (error) {
      if ((error as { details?: { unsupported?: boolean } }).details?.unsupported)
        throw new NovaFault(501, 'The requested functionality is not supported.');
      throw badRequest(`Compute service of ${host.name} is unavailable at this time.`);
    }
    ctx.body = { hypervisor: { ...hypervisorSummary(f, ctx.state.version), uptime } };
  });

  // Before 2.53 the pattern searches had routes of their own; 2.53 made them query parameters.
  const search = (name: 'search' | 'servers') => async (ctx: ComputeContext) => {
    const v: Microversion = ctx.state.version;
    if (v.atLeast('2.53')) throw gone();
    authorize(ctx, rule(name), 'admin');
    const all = await facts(await matching(ctx.params.id), { servers: name === 'servers' });
    ctx.body = { hypervisors: all.map((f) => withServers(hypervisorSummary(f, v), f, v, false)) };
  };
  router.get('/os-hypervisors/:id/search', search('search'));
  router.get('/os-hypervisors/:id/servers', search('servers'));
  return router;
}
