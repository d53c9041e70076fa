import Router from '@koa/router';
import type { HostRow, InstanceRow } from '../../../models/index.js';
import { readRow } from '../../../models/typed.js';
import { NovaFault, notFound } from '../errors.js';
import { checkBody, checkQuery, multiParams, type Schema } from '../json-schema.js';
import { serviceRecords } from '../service-records.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

// os-hosts (admin, 2.1–2.42; 404 from 2.43 as Nova answers a method beyond its versions): the services'
// hosts, a compute host's resources, and the host-level actions Nova's libvirt driver does not implement
// (enable/disable, maintenance mode, startup/shutdown/reboot), which Nova answers 501.

const POLICY = 'os_compute_api:os-hosts';

const TOGGLE: Schema = { type: 'string', enum: ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'] };
// Nova's schema puts its anyOf among the properties, so it never applies: an empty body passes.
const updateSchema: Schema = {
  type: 'object',
  properties: { status: TOGGLE, maintenance_mode: TOGGLE },
  additionalProperties: false,
};
const indexQuery: Schema = { type: 'object', properties: { zone: multiParams({ type: 'string' }) }, additionalProperties: true };

const NOT_SUPPORTED = 'The requested functionality is not supported.';

const served = (ctx: ComputeContext) => {
  if (ctx.state.version.atLeast('2.43')) throw notFound('The resource could not be found.');
};

/** The compute host by name, as Nova's host mapping finds it (404 in its words otherwise). */
async function computeHost(s: ComputeServices, name: string): Promise<HostRow> {
  const row = await readRow(s.models.Host, { where: { name } });
  if (!row) throw notFound(`Host '${name}' is not mapped to any cell`);
  return row;
}

type Usage = Pick<InstanceRow, 'project_id' | 'vcpus' | 'memory_mb' | 'root_gb' | 'ephemeral_gb'>;

export function hostRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.get('/os-hosts', async (ctx) => {
    served(ctx);
    checkQuery(indexQuery, ctx.query);
    authorize(ctx, `${POLICY}:list`, 'admin');
    const zones = ctx.query.zone;
    const zone = Array.isArray(zones) ? zones[zones.length - 1] : zones;
    const topic = { 'nova-compute': 'compute', 'nova-scheduler': 'scheduler', 'nova-conductor': 'conductor' } as const;
    ctx.body = {
      hosts: (await serviceRecords(s))
        .filter((r) => !r.disabled && (!zone || r.zone === zone))
        .map((r) => ({ host_name: r.host, service: topic[r.binary], zone: r.zone })),
    };
  });

  router.get('/os-hosts/:id', async (ctx) => {
    served(ctx);
    authorize(ctx, `${POLICY}:show`, 'admin');
    const host = await computeHost(s, ctx.params.id);
    const rows = await s.models.Instance.findAll({
      where: { host: host.name, deleted_at: null },
      attributes: ['project_id', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb'],
      order: [['created_at', 'ASC']],
    });
    const instances = rows.map((r) => r.get({ plain: true }) as Usage);
    const resource = (project: string, cpu: number, memory_mb: number, disk_gb: number) => ({
      resource: { host: host.name, project, cpu, memory_mb, disk_gb },
    });
    const sum = (list: Usage[]) =>
      list.reduce((a, i) => ({ cpu: a.cpu + i.vcpus, mem: a.mem + i.memory_mb, disk: a.disk + i.root_gb + i.ephemeral_gb }), {
        cpu: 0,
        mem: 0,
        disk: 0,
      });
    const all = sum(instances);
    const projects = [...new Set(instances.map((i) => i.project_id))];
    ctx.body = {
      host: [
        resource('(total)', host.vcpus, host.memory_mb, host.local_gb),
        resource('(used_now)', host.vcpus_used, host.memory_mb_used + (host.reserved_memory_mb ?? 0), host.local_gb_used),
        resource('(used_max)', all.cpu, all.mem, all.disk),
        ...projects.map((p) => {
          const used = sum(instances.filter((i) => i.project_id === p));
          return resource(p, used.cpu, used.mem, used.disk);
        }),
      ],
    };
  });

  router.put('/os-hosts/:id', async (ctx) => {
    served(ctx);
    const body = await requestBody(ctx);
    checkBody(updateSchema, body);
    authorize(ctx, `${POLICY}:update`, 'admin');
    const { status, maintenance_mode } = body as { status?: string; maintenance_mode?: string };
    // Either one reaches the compute host, whose libvirt driver implements neither.
    if (status !== undefined || maintenance_mode !== undefined) {
      await computeHost(s, ctx.params.id);
      throw new NovaFault(501, NOT_SUPPORTED);
    }
    ctx.body = { host: ctx.params.id };
  });

  for (const action of ['startup', 'shutdown', 'reboot'] as const) {
    router.get(`/os-hosts/:id/${action}`, async (ctx) => {
      served(ctx);
      authorize(ctx, `${POLICY}:${action === 'startup' ? 'start' : action}`, 'admin');
      await computeHost(s, ctx.params.id);
      throw new NovaFault(501, NOT_SUPPORTED);
    });
  }
  return router;
}
