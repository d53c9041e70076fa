import Router from '@koa/router';
import type { HostRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import { notFound } from '../errors.js';
import type { Microversion } from '../microversion.js';
import { authorize, type ComputeServices, type ComputeState } from '../services.js';
import { idAt } from '../views/ids.js';
import { isUp } from './services.js';

const hypervisorType = (h: HostRow) => (h.libvirt_uri.startsWith('test') ? 'test' : 'QEMU');

function summary(s: ComputeServices, h: HostRow, v: Microversion, now: number) {
  return {
    id: idAt(v.atLeast('2.53'), `hypervisor/${h.name}`), hypervisor_hostname: h.name,
    state: isUp(h, now, s.serviceDownMs) ? 'up' : 'down', status: dbBool(h.service_disabled) ? 'disabled' : 'enabled',
  };
}

function detail(s: ComputeServices, h: HostRow, v: Microversion, now: number) {
  const service = { id: idAt(v.atLeast('2.53'), `service/nova-compute/${h.name}`), host: h.name, disabled_reason: h.disabled_reason };
  const base = { ...summary(s, h, v, now), hypervisor_type: hypervisorType(h), hypervisor_version: 9000000, host_ip: '127.0.0.1', service };
  // 2.88 dropped the resource figures and cpu_info (Placement has them) and added uptime.
  if (v.atLeast('2.88')) return { ...base, uptime: null };
  return {
    ...base, vcpus: h.vcpus, memory_mb: h.memory_mb, local_gb: h.local_gb, vcpus_used: h.vcpus_used,
    memory_mb_used: h.memory_mb_used, local_gb_used: h.local_gb_used, free_ram_mb: h.memory_mb - h.memory_mb_used,
    free_disk_gb: h.local_gb - h.local_gb_used, current_workload: 0, running_vms: h.running_vms,
    // Nova's JSON text until 2.27, the object it holds from 2.28.
    disk_available_least: h.local_gb - h.local_gb_used, cpu_info: v.atLeast('2.28') ? {} : '{}',
  };
}

/** os-hypervisors: one per compute host, read from the hosts table (admin only, as in Nova). */
export function hypervisorRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const hosts = async () => (await s.models.Host.findAll({ order: [['name', 'ASC']] })).map((r) => r.get({ plain: true }) as HostRow);
  router.get('/os-hypervisors', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-hypervisors:list', 'admin');
    const now = s.clock.now();
    ctx.body = { hypervisors: (await hosts()).map((h) => summary(s, h, ctx.state.version, now)) };
  });
  router.get('/os-hypervisors/detail', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-hypervisors:list-detail', 'admin');
    const now = s.clock.now();
    ctx.body = { hypervisors: (await hosts()).map((h) => detail(s, h, ctx.state.version, now)) };
  });
  router.get('/os-hypervisors/statistics', async (ctx) => {
    // Gone at 2.88, answered as Nova answers a method missing at the version.
    if (ctx.state.version.atLeast('2.88')) throw notFound('The resource could not be found.');
    authorize(ctx, 'os_compute_api:os-hypervisors:statistics', 'admin');
    const all = await hosts();
    const sum = (f: (h: HostRow) => number) => all.reduce((n, h) => n + f(h), 0);
    ctx.body = {
      hypervisor_statistics: {
        count: all.length, vcpus: sum((h) => h.vcpus), memory_mb: sum((h) => h.memory_mb), local_gb: sum((h) => h.local_gb),
        vcpus_used: sum((h) => h.vcpus_used), memory_mb_used: sum((h) => h.memory_mb_used), local_gb_used: sum((h) => h.local_gb_used),
        free_ram_mb: sum((h) => h.memory_mb - h.memory_mb_used), free_disk_gb: sum((h) => h.local_gb - h.local_gb_used),
        current_workload: 0, running_vms: sum((h) => h.running_vms), disk_available_least: sum((h) => h.local_gb - h.local_gb_used),
      },
    };
  });
  router.get('/os-hypervisors/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:os-hypervisors:show', 'admin');
    const v = ctx.state.version;
    const host = (await hosts()).find((h) => String(idAt(v.atLeast('2.53'), `hypervisor/${h.name}`)) === ctx.params.id);
    if (!host) throw notFound(`Hypervisor with ID ${ctx.params.id} could not be found.`);
    ctx.body = { hypervisor: detail(s, host, v, s.clock.now()) };
  });
  return router;
}
