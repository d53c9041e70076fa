import type { Static } from '@sinclair/typebox';
import type { HostRow } from '../../models/host.js';
import type { hostProtocol } from './protocol.js';

export type { HostRow };
type Spec = typeof hostProtocol.spec;
export type Registration = Static<Spec['register']['payload']>;
export type Usage = Static<Spec['setUsage']['payload']>;

/** A compute service that starts reports in: alive, whatever it was before. */
const alive = (now: number) => ({ status: 'up', failure_reason: null, last_seen_at: new Date(now), updated_at: new Date(now) });

export const registered = (name: string, p: Registration, now: number): HostRow => ({
  name, ...p,
  vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0,
  service_disabled: false, disabled_reason: null, forced_down: false,
  ...alive(now), created_at: new Date(now),
});

// Re-registering (a restarted compute service) updates capacity but keeps usage and the operator's disable.
export const reregistered = (s: HostRow, p: Registration, now: number): HostRow => ({ ...s, ...p, ...alive(now) });

export const heartbeat = (s: HostRow, now: number): HostRow => ({ ...s, ...alive(now) });

export const usageSet = (s: HostRow, u: Usage, now: number): HostRow => ({ ...s, ...u, updated_at: new Date(now) });

export const disabled = (s: HostRow, reason: string | undefined, now: number): HostRow =>
  ({ ...s, service_disabled: true, disabled_reason: reason ?? null, updated_at: new Date(now) });

export const enabled = (s: HostRow, now: number): HostRow =>
  ({ ...s, service_disabled: false, disabled_reason: null, updated_at: new Date(now) });

export const failed = (s: HostRow, reason: string, now: number): HostRow =>
  ({ ...s, status: 'failed', failure_reason: reason, updated_at: new Date(now) });
