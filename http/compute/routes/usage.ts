import Router from '@koa/router';
import { Op } from 'sequelize';
import type { InstanceRow } from '../../../models/index.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { readInstances } from '../instance-reads.js';
import { checkQuery, multiParams, type Schema } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { collectionLinks, limitOf, MAX_LIMIT, markerOf } from '../pagination.js';
import { paginationParameters } from '../parameter-types.js';
import { authorize, isoMicros, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

const POLICY = 'os_compute_api:os-simple-tenant-usage';

const usageQuery = (v: Microversion, detailed: boolean): Schema => ({
  type: 'object',
  properties: {
    start: multiParams({ type: 'string' }),
    end: multiParams({ type: 'string' }),
    ...(detailed ? { detailed: multiParams({ type: 'string' }) } : {}),
    ...(v.atLeast('2.40') ? paginationParameters : {}),
  },
  additionalProperties: !v.atLeast('2.75'),
});

// The forms Nova's strptime accepts: seconds, or a fraction after a 'T' or a space; always UTC.
const DATETIME = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?| (\d\d):(\d\d):(\d\d)\.(\d{1,6}))$/;

function parseDatetime(text: string | undefined, now: number): number {
  if (!text) return now;
  const m = DATETIME.exec(text);
  const [y, mo, d] = m ? [m[1], m[2], m[3]].map(Number) : [];
  const [h, mi, s, f] = m ? (m[4] !== undefined ? [m[4], m[5], m[6], m[7]] : [m[8], m[9], m[10], m[11]]) : [];
  const at = m ? Date.UTC(y, mo - 1, d, Number(h), Number(mi), Number(s), Math.floor(Number((f ?? '0').padEnd(6, '0')) / 1000)) : NaN;
  // Date.UTC rolls 31 February over into March; strptime refuses it.
  if (Number.isNaN(at) || new Date(at).getUTCDate() !== d || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw badRequest('Invalid datetime string: Datetime is in invalid format');
  }
  return at;
}

const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as string | undefined;
const timeOf = (d: Date | string) => Date.parse(`${isoMicros(d)}Z`);

interface ServerUsage {
  instance_id: string;
  name: string;
  tenant_id: string;
  hours: number;
  flavor: string;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string | null;
  ended_at: string | null;
  state: string;
  uptime: number;
}

/** Usage per project over a period, from the instance rows, as Nova's os-simple-tenant-usage sums it. */
export function usageRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>({ prefix: '/os-simple-tenant-usage' });

  const period = (ctx: ComputeContext) => {
    const now = s.clock.now();
    const start = parseDatetime(first(ctx.query.start), now);
    let stop = parseDatetime(first(ctx.query.end), now);
    if (!(start < stop)) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
    if (stop > now) stop = now;
    return { start, stop, now };
  };

  // Servers that ran within the period, deleted ones too, in Nova's (project, uuid) order.
  const serversIn = async (ctx: ComputeContext, start: number, stop: number, tenant?: string) => {
    const paged = ctx.state.version.atLeast('2.40');
    const limit = paged ? limitOf(ctx) : MAX_LIMIT;
    const marker = paged ? markerOf(ctx) : undefined;
    const where: Record<string | symbol, unknown> = {
      [Op.or]: [{ terminated_at: null }, { terminated_at: { [Op.gt]: new Date(start) } }],
      launched_at: { [Op.lt]: new Date(stop) },
      ...(tenant ? { project_id: tenant } : {}),
    };
    if (marker !== undefined) {
      const at = (await s.models.Instance.findOne({ where: { uuid: marker }, attributes: ['uuid', 'project_id'], raw: true })) as InstanceRow | null;
      if (!at) throw badRequest(`Marker ${marker} could not be found.`);
      (where as Record<symbol, unknown>)[Op.and] = [
        {
          [Op.or]: [{ project_id: { [Op.gt]: at.project_id } }, { project_id: at.project_id, uuid: { [Op.gt]: at.uuid } }],
        },
      ];
    }
    return readInstances(s.models.Instance, {
      where,
      order: [
        ['project_id', 'ASC'],
        ['uuid', 'ASC'],
      ],
      limit,
      attributes: [
        'uuid',
        'display_name',
        'project_id',
        'vm_state',
        'flavor_name',
        'memory_mb',
        'vcpus',
        'root_gb',
        'ephemeral_gb',
        'launched_at',
        'terminated_at',
      ],
    });
  };

  const usages = (rows: InstanceRow[], start: number, stop: number, now: number, detailed: boolean) => {
    const tenants = new Map<string, Record<string, unknown> & { server_usages?: ServerUsage[] }>();
    const all: ServerUsage[] = [];
    for (const i of rows) {
      const launched = timeOf(i.launched_at!);
      const terminated = i.terminated_at ? timeOf(i.terminated_at) : undefined;
      const hours = (Math.min(stop, terminated ?? stop) - Math.max(launched, start)) / 3_600_000;
      const info: ServerUsage = {
        instance_id: i.uuid,
        name: i.display_name,
        tenant_id: i.project_id,
        hours: Math.max(hours, 0),
        flavor: i.flavor_name ?? '',
        memory_mb: i.memory_mb,
        local_gb: i.root_gb + i.ephemeral_gb,
        vcpus: i.vcpus,
        started_at: isoMicros(i.launched_at),
        ended_at: isoMicros(i.terminated_at),
        state: terminated !== undefined ? 'terminated' : i.vm_state,
        uptime: Math.trunc(((terminated ?? now) - launched) / 1000),
      };
      let summary = tenants.get(i.project_id);
      if (!summary) {
        summary = {
          tenant_id: i.project_id,
          ...(detailed ? { server_usages: [] } : {}),
          total_local_gb_usage: 0,
          total_vcpus_usage: 0,
          total_memory_mb_usage: 0,
          total_hours: 0,
          start: isoMicros(new Date(start)),
          stop: isoMicros(new Date(stop)),
        };
        tenants.set(i.project_id, summary);
      }
      (summary.total_local_gb_usage as number) += info.local_gb * info.hours;
      (summary.total_vcpus_usage as number) += info.vcpus * info.hours;
      (summary.total_memory_mb_usage as number) += info.memory_mb * info.hours;
      (summary.total_hours as number) += info.hours;
      summary.server_usages?.push(info);
      all.push(info);
    }
    return { tenants: [...tenants.values()], all };
  };

  router.get('/', async (ctx) => {
    // Nova's routes map `/os-simple-tenant-usage/{tenant_id}`: an empty project id after the slash is no route.
    if (ctx.path.endsWith('/')) throw notFound('The resource could not be found.');
    const v = ctx.state.version;
    checkQuery(usageQuery(v, true), ctx.query);
    authorize(ctx, `${POLICY}:list`, 'admin');
    const { start, stop, now } = period(ctx);
    const detailed = first(ctx.query.detailed) === '1';
    const { tenants, all } = usages(await serversIn(ctx, start, stop), start, stop, now, detailed);
    const links = v.atLeast('2.40')
      ? collectionLinks(
          s,
          ctx,
          'os-simple-tenant-usage',
          all.map((u) => u.instance_id),
        )
      : [];
    ctx.body = { tenant_usages: tenants, ...(links.length ? { tenant_usages_links: links } : {}) };
  });

  router.get('/:tenant', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(usageQuery(v, false), ctx.query);
    const tenant = ctx.params.tenant;
    // A project's readers see its usage; other projects' take an admin.
    if (tenant !== ctx.state.project && !ctx.state.auth.isAdmin) throw forbidden(`${POLICY}:show`);
    authorize(ctx, `${POLICY}:show`, 'reader');
    const { start, stop, now } = period(ctx);
    const { tenants, all } = usages(await serversIn(ctx, start, stop, tenant), start, stop, now, true);
    const links = v.atLeast('2.40')
      ? collectionLinks(
          s,
          ctx,
          `os-simple-tenant-usage/${tenant}`,
          all.map((u) => u.instance_id),
        )
      : [];
    ctx.body = { tenant_usage: tenants[0] ?? {}, ...(links.length ? { tenant_usage_links: links } : {}) };
  });

  return router;
}
