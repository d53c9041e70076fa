import type { Static } from '@sinclair/typebox';
import type { HostRow } from '../../models/host.js';
import type { hostProtocol } from './protocol.js';

export type { HostRow };
type Spec = typeof hostProtocol.spec;
export type Registration = Static<Spec['register']['payload']>;
export type Usage = Static<Spec['setUsage']['payload']>;

/** What one guest holds on its host. */
export interface Resources {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly disk_gb: number;
}

/** A compute service that starts reports in: alive, whatever it was before. */
const alive = (now: number) => ({ status: 'up', failure_reason: null, last_seen_at: new Date(now), updated_at: new Date(now) });

export const registered = (name: string, p: Registration, now: number): HostRow => ({
  name,
  ...p,
  boot_id: p.boot_id ?? null,
  host_ip: p.host_ip ?? null,
  vcpus_used: 0,
  memory_mb_used: 0,
  local_gb_used: 0,
  running_vms: 0,
  service_disabled: false,
  disabled_reason: null,
  forced_down: false,
  ...alive(now),
  created_at: new Date(now),
});

// Re-registering (a restarted compute service) updates capacity but keeps usage and the operator's disable.
export const reregistered = (s: HostRow, p: Registration, now: number): HostRow => ({
  ...s,
  ...p,
  boot_id: p.boot_id ?? s.boot_id,
  host_ip: p.host_ip ?? s.host_ip ?? null,
  ...alive(now),
});

export const claimed = (s: HostRow, r: Resources, now: number): HostRow => ({
  ...s,
  vcpus_used: s.vcpus_used + r.vcpus,
  memory_mb_used: s.memory_mb_used + r.memory_mb,
  local_gb_used: s.local_gb_used + r.disk_gb,
  running_vms: s.running_vms + 1,
  updated_at: new Date(now),
});

export const released = (s: HostRow, r: Resources, now: number): HostRow => ({
  ...s,
  vcpus_used: Math.max(0, s.vcpus_used - r.vcpus),
  memory_mb_used: Math.max(0, s.memory_mb_used - r.memory_mb),
  local_gb_used: Math.max(0, s.local_gb_used - r.disk_gb),
  running_vms: Math.max(0, s.running_vms - 1),
  updated_at: new Date(now),
});

/** A report sent at `sentAt`: the service was alive then, not necessarily when the report arrived. */
export const heartbeat = (s: HostRow, sentAt: number): HostRow => ({ ...s, ...alive(sentAt) });

/** Its hypervisor cannot be reached: the compute service is down (os-services, the scheduler) until it can. */
export const hypervisorDown = (s: HostRow, reason: string, now: number): HostRow => ({
  ...s,
  status: 'down',
  failure_reason: reason.slice(0, 1024),
  updated_at: new Date(now),
});

/** Its hypervisor answers again (a new boot of it, if it restarted): up, seen at `sentAt`. */
export const hypervisorBack = (s: HostRow, bootId: string | null, sentAt: number): HostRow => ({
  ...s,
  boot_id: bootId ?? s.boot_id,
  ...alive(sentAt),
});

export const usageSet = (s: HostRow, u: Usage, now: number): HostRow => ({ ...s, ...u, updated_at: new Date(now) });

export const disabled = (s: HostRow, reason: string | undefined, now: number): HostRow => ({
  ...s,
  service_disabled: true,
  disabled_reason: reason ?? null,
  updated_at: new Date(now),
});

export const enabled = (s: HostRow, now: number): HostRow => ({ ...s, service_disabled: false, disabled_reason: null, updated_at: new Date(now) });

export const forcedDown = (s: HostRow, forced: boolean, now: number): HostRow => ({ ...s, forced_down: forced, updated_at: new Date(now) });

export const failed = (s: HostRow, reason: string, now: number): HostRow => ({
  ...s,
  status: 'failed',
  failure_reason: reason,
  updated_at: new Date(now),
});
