import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../cluster.config.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { ensureSimulatedHypervisor, stopSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import { ensureQemuHypervisor } from '../drivers/qemu/daemon.js';
import { cloudIdOf, namesOf } from '../drivers/dataplane/names.js';
import { ensureHostNamespace } from '../drivers/dataplane/reconcile.js';
import { dataPlaneEnabled } from './dataplane.js';

/** A compute host as the host actor is registered with it. */
export interface HostPlan {
  readonly name: string;
  readonly uri: string;
  readonly bootId: string;
  readonly availabilityZone: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly diskAllocationRatio: number;
  /** Set for a simulated hypervisor: the directory its process lives in. */
  readonly simulatedDir?: string;
  /** Set for the real host: the directory of its private QEMU daemon. */
  readonly qemuDir?: string;
  /** RAM kept back for the host itself (real hosts). */
  readonly reservedMemoryMb?: number;
  /** The host CPU as Nova's cpu_info shows it, JSON (real hosts). */
  readonly cpuInfo?: string;
}

// Short directory names keep the socket path under its 107-byte limit.
const simulatedDir = (config: Config, index: number) => join(config.stateDir, 'hv', String(index));

const machineBootId = () => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
};

/**
 * The hosts this node drives: those listed in `libvirt.hosts`, else one per `libvirt.uris`
 * entry, else `libvirt.simulatedHosts` simulated ones. Simulated hypervisors are started (or
 * found running) here; capacity comes from configuration, as the test driver enforces none.
 */
export async function prepareHypervisors(config: Config): Promise<HostPlan[]> {
  const l = config.libvirt;
  const defaults = {
    // Beside the real host, the simulated ones have a zone of their own: a plain boot lands on the real one.
    availabilityZone: l.realHost ? config.qemu.simulatedZone : l.availabilityZone,
    vcpus: l.vcpus,
    memoryMb: l.memoryMb,
    diskGb: l.diskGb,
    cpuAllocationRatio: l.cpuAllocationRatio,
    ramAllocationRatio: l.ramAllocationRatio,
    diskAllocationRatio: l.diskAllocationRatio,
  };
  const listed: Array<Config['libvirt']['hosts'][number]> = l.hosts.length
    ? l.hosts
    : l.uris.length
      ? l.uris.map((uri, i) => ({ name: `${l.hostPrefix}-${i + 1}`, uri }))
      : Array.from({ length: l.simulatedHosts }, (_, i) => ({ name: `${l.hostPrefix}-${i + 1}` }));
  const plans: HostPlan[] = [];
  for (const [index, host] of listed.entries()) {
    if (host.uri) {
      plans.push({ ...defaults, ...host, uri: host.uri, bootId: await realBootId(host.uri) });
      continue;
    }
    const dir = simulatedDir(config, index + 1);
    const hypervisor = await ensureSimulatedHypervisor(dir, config.timeouts.shutdownMs);
    plans.push({ ...defaults, ...host, uri: hypervisor.uri, bootId: hypervisor.bootId, simulatedDir: dir });
  }
  if (l.realHost) plans.push(await prepareRealHost(config));
  return plans;
}

/**
 * The real host: a private QEMU libvirtd under the state directory, started here or found running (it outlives
 * Stratus, as its guests do). Its capacity is what the hypervisor says, less the RAM reserved for the host.
 */
async function prepareRealHost(config: Config): Promise<HostPlan> {
  const q = config.qemu;
  const dir = resolve(config.stateDir, 'qemu', '1');
  // With a data plane, the daemon (and so every QEMU) lives in the cloud's host namespace, where the taps are.
  let netns: string | undefined;
  if (dataPlaneEnabled(config)) {
    const cloudId = cloudIdOf(config.stateDir);
    await ensureHostNamespace(cloudId);
    netns = namesOf(cloudId).hostNamespace;
  }
  const hypervisor = await ensureQemuHypervisor(dir, {
    ...(netns ? { netns } : {}),
    listenAddress: q.consoleListen,
    consoleLogMaxBytes: q.consoleLogMaxBytes,
    consoleLogBackups: q.consoleLogBackups,
    ...(q.capabilityCacheDir ? { capabilityCacheDir: resolve(q.capabilityCacheDir) } : {}),
  });
  const connection = new LibvirtConnection(hypervisor.uri);
  try {
    const capacity = await connection.capacity();
    const disk = await statfs(config.stateDir);
    return {
      name: q.hostName || `qemu-${config.nodeId}`,
      uri: hypervisor.uri,
      bootId: hypervisor.bootId,
      availabilityZone: q.availabilityZone,
      vcpus: capacity.vcpus,
      memoryMb: capacity.memoryMb,
      diskGb: Math.max(1, Math.floor((disk.blocks * disk.bsize) / 2 ** 30)),
      cpuAllocationRatio: q.cpuAllocationRatio,
      ramAllocationRatio: q.ramAllocationRatio,
      diskAllocationRatio: q.diskAllocationRatio,
      reservedMemoryMb: q.reservedHostMemoryMb,
      cpuInfo: JSON.stringify(await connection.cpuInfo()),
      qemuDir: dir,
    };
  } finally {
    await connection.close();
  }
}

// A local hypervisor restarts with the machine; a remote one's boot is not known here.
async function realBootId(uri: string): Promise<string> {
  const connection = new LibvirtConnection(uri);
  try {
    await connection.capacity();
    return /^[a-z+]+:\/\/\//.test(uri) ? machineBootId() : 'remote';
  } finally {
    await connection.close();
  }
}

/** A hypervisor's current boot: a simulated one's daemon writes a new one each time it starts. */
export function bootIdOf(plan: HostPlan | undefined): string | undefined {
  if (!plan) return undefined;
  const dir = plan.simulatedDir ?? plan.qemuDir;
  if (!dir) return plan.bootId;
  try {
    return readFileSync(join(dir, 'boot-id'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Stops the simulated hypervisors of a graceful shutdown; their guests come back on the next start. */
export async function stopHypervisors(plans: readonly HostPlan[], timeoutMs: number): Promise<void> {
  await Promise.all(plans.filter((p) => p.simulatedDir).map((p) => stopSimulatedHypervisor(p.simulatedDir!, timeoutMs)));
}

/** The host actor's `register` message for a planned host. */
export const registration = (h: HostPlan, hostIp?: string) => ({
  availability_zone: h.availabilityZone,
  hypervisor_type: h.uri.startsWith('test') ? 'test' : 'QEMU',
  libvirt_uri: h.uri,
  vcpus: h.vcpus,
  memory_mb: h.memoryMb,
  local_gb: h.diskGb,
  cpu_allocation_ratio: h.cpuAllocationRatio,
  ram_allocation_ratio: h.ramAllocationRatio,
  disk_allocation_ratio: h.diskAllocationRatio,
  boot_id: h.bootId,
  ...(hostIp ? { host_ip: hostIp } : {}),
  ...(h.reservedMemoryMb !== undefined ? { reserved_memory_mb: h.reservedMemoryMb } : {}),
  ...(h.cpuInfo ? { cpu_info: h.cpuInfo } : {}),
});
