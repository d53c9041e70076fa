import type { HostRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import type { Microversion } from '../microversion.js';
import { hypervisorIdAt, serviceIdAt } from '../service-records.js';

/** A server as os-hypervisors lists it. */
export interface HostedServer {
  readonly name: string;
  readonly uuid: string;
}

export interface HypervisorFacts {
  readonly row: HostRow;
  readonly up: boolean;
  /** Servers on the host with a task under way (Nova's current_workload). */
  readonly workload?: number;
  /** The host's servers, when the request asked for them. */
  readonly servers?: readonly HostedServer[];
  /** What the host's `uptime` says (null when it cannot be asked), for 2.88's detail. */
  readonly uptime?: string | null;
}

/** Nova's _view_hypervisor without the detail: id, name, state and status. */
export const hypervisorSummary = (f: HypervisorFacts, v: Microversion) => ({
  id: hypervisorIdAt(v, f.row),
  hypervisor_hostname: f.row.name,
  state: f.up ? 'up' : 'down',
  status: dbBool(f.row.service_disabled) ? 'disabled' : 'enabled',
});

/** `servers` as Nova adds it: when the host has some, and from 2.75 an empty list when asked for. */
export function withServers<T extends object>(view: T, f: HypervisorFacts, v: Microversion, asked: boolean): T {
  if (f.servers?.length) return { ...view, servers: f.servers.map((s) => ({ name: s.name, uuid: s.uuid })) };
  return asked && v.atLeast('2.75') ? { ...view, servers: [] } : view;
}

/** RAM in use as Nova's resource tracker counts it: the guests' and what is reserved for the host. */
const memoryUsed = (h: HostRow) => h.memory_mb_used + (h.reserved_memory_mb ?? 0);

function cpuInfo(h: HostRow): object {
  if (!h.cpu_info) return {};
  try {
    return JSON.parse(h.cpu_info) as object;
  } catch {
    return {};
  }
}

/** The detail view: resource figures before 2.88 (cpu_info a JSON string before 2.28), uptime from 2.88. */
export function hypervisorDetail(f: HypervisorFacts, v: Microversion) {
  const h = f.row;
  const base = {
    ...hypervisorSummary(f, v),
    // As the hypervisor and the compute node reported them at registration (0 and the loopback only for a row
    // written before they were recorded, until its compute service starts again).
    hypervisor_type: h.hypervisor_type,
    hypervisor_version: h.hypervisor_version ?? 0,
    host_ip: h.host_ip ?? '127.0.0.1',
    service: { id: serviceIdAt(v, { binary: 'nova-compute', host: h.name }), host: h.name, disabled_reason: h.disabled_reason },
  };
  // 2.88 left the resource figures to Placement and put the host's uptime in the detail instead.
  if (v.atLeast('2.88')) return { ...base, uptime: f.uptime ?? null };
  return {
    ...base,
    vcpus: h.vcpus,
    memory_mb: h.memory_mb,
    local_gb: h.local_gb,
    vcpus_used: h.vcpus_used,
    memory_mb_used: memoryUsed(h),
    local_gb_used: h.local_gb_used,
    free_ram_mb: h.memory_mb - memoryUsed(h),
    free_disk_gb: h.local_gb - h.local_gb_used,
    current_workload: f.workload ?? 0,
    running_vms: h.running_vms,
    disk_available_least: h.local_gb - h.local_gb_used,
    // A real hypervisor's CPU as it describes it; a simulated host has none to tell (Nova's empty cpu_info).
    cpu_info: v.atLeast('2.28') ? cpuInfo(h) : JSON.stringify(cpuInfo(h)),
  };
}

/** GET /os-hypervisors/statistics: sums over the enabled compute services' hypervisors, as Nova's query has it. */
export function hypervisorStatistics(hosts: readonly HostRow[], workload: (h: HostRow) => number) {
  const enabled = hosts.filter((h) => !dbBool(h.service_disabled));
  const sum = (f: (h: HostRow) => number) => enabled.reduce((n, h) => n + f(h), 0);
  return {
    count: enabled.length,
    vcpus: sum((h) => h.vcpus),
    memory_mb: sum((h) => h.memory_mb),
    local_gb: sum((h) => h.local_gb),
    vcpus_used: sum((h) => h.vcpus_used),
    memory_mb_used: sum(memoryUsed),
    local_gb_used: sum((h) => h.local_gb_used),
    free_ram_mb: sum((h) => h.memory_mb - memoryUsed(h)),
    free_disk_gb: sum((h) => h.local_gb - h.local_gb_used),
    current_workload: sum(workload),
    running_vms: sum((h) => h.running_vms),
    disk_available_least: sum((h) => h.local_gb - h.local_gb_used),
  };
}
