import type { InstanceRow } from '../../models/instance.js';

// Nova's _sync_instance_power_state: what the hypervisor says a guest is doing, against what the server
// should be doing. The hypervisor's word always becomes power_state; some mismatches also stop the server
// through the stop action (so it leaves an instance action behind, as Nova's call of its own stop API does).

const NOSTATE = 0;
const PAUSED = 3;
const SHUTDOWN = 4;
const CRASHED = 6;
const SUSPENDED = 7;

/** What a reported power state means for a server. */
export interface PowerSync {
  /** The server with the reported power state; undefined when nothing changes. */
  readonly next: InstanceRow | undefined;
  /** Stop the server: `stop` as a user's stop would, `force` whatever its vm_state (Nova's force_stop). */
  readonly stop?: 'stop' | 'force';
  /** Why, in Nova's words, for the log. */
  readonly reason?: string;
}

export function powerSync(s: InstanceRow, power: number, now: number): PowerSync {
  // A task under way decides the server's state itself (Nova: "the instance has a pending task. Skip.").
  if (s.deleted_at || s.task_state !== null) return { next: undefined };
  const next =
    s.power_state === power ? undefined : { ...s, power_state: power, updated_at: new Date(Math.max(now, new Date(s.updated_at).getTime() + 1)) };
  const off = power === SHUTDOWN || power === CRASHED;
  switch (s.vm_state) {
    case 'active':
      if (off) return { next, stop: 'stop', reason: 'Instance shutdown by itself. Calling the stop API.' };
      if (power === SUSPENDED) return { next, stop: 'stop', reason: 'Instance is suspended unexpectedly. Calling the stop API.' };
      // Paused from outside, or not found: Nova records the power state and leaves the status alone.
      return { next, ...(power === PAUSED ? { reason: 'Instance is paused unexpectedly. Ignore.' } : {}) };
    case 'stopped':
      if (power !== NOSTATE && !off) return { next, stop: 'force', reason: 'Instance is not stopped. Calling the stop API.' };
      return { next };
    case 'paused':
      if (off) return { next, stop: 'force', reason: 'Paused instance shutdown by itself. Calling the stop API.' };
      return { next };
    default:
      return { next };
  }
}
