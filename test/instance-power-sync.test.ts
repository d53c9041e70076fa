import test from 'ava';
import { powerSync } from '../actors/instance/power-sync.js';
import type { InstanceRow } from '../models/instance.js';

// Nova's _sync_instance_power_state, rule by rule: what the hypervisor reports against what the server should be.
const server = (vm_state: string, power_state: number, task_state: string | null = null) =>
  ({ uuid: 'u', vm_state, power_state, task_state, deleted_at: null, updated_at: new Date(1_000) }) as unknown as InstanceRow;
const NOSTATE = 0,
  RUNNING = 1,
  PAUSED = 3,
  SHUTDOWN = 4,
  CRASHED = 6,
  SUSPENDED = 7;

test('an active server whose guest shut down, crashed or was suspended is stopped through the stop action', (t) => {
  for (const power of [SHUTDOWN, CRASHED, SUSPENDED]) {
    const sync = powerSync(server('active', RUNNING), power, 5_000);
    t.is(sync.stop, 'stop', `power ${power}`);
    t.is(sync.next?.power_state, power);
    t.is(sync.next?.vm_state, 'active', 'the stop action, not the sync, changes the status');
  }
});

test('an active server paused from outside keeps its status; only power_state changes', (t) => {
  const sync = powerSync(server('active', RUNNING), PAUSED, 5_000);
  t.is(sync.stop, undefined);
  t.like(sync.next, { vm_state: 'active', power_state: PAUSED });
  t.regex(sync.reason ?? '', /paused unexpectedly/);
  t.like(powerSync(server('active', RUNNING), NOSTATE, 5_000), { stop: undefined, next: { power_state: NOSTATE } });
});

test('a stopped server found running is force-stopped; a paused one shut down is force-stopped', (t) => {
  t.is(powerSync(server('stopped', SHUTDOWN), RUNNING, 5_000).stop, 'force');
  t.is(powerSync(server('stopped', SHUTDOWN), CRASHED, 5_000).stop, undefined);
  t.is(powerSync(server('paused', PAUSED), SHUTDOWN, 5_000).stop, 'force');
  t.is(powerSync(server('paused', PAUSED), RUNNING, 5_000).stop, undefined);
});

test('a task under way, or an unchanged power state, changes nothing; other vm_states only record it', (t) => {
  t.deepEqual(powerSync(server('active', RUNNING, 'powering-off'), SHUTDOWN, 5_000), { next: undefined });
  t.is(powerSync(server('active', RUNNING), RUNNING, 5_000).next, undefined);
  const suspended = powerSync(server('suspended', SUSPENDED), SHUTDOWN, 5_000);
  t.like(suspended, { stop: undefined, next: { vm_state: 'suspended', power_state: SHUTDOWN } });
  t.is(powerSync(server('error', RUNNING), SHUTDOWN, 5_000).stop, undefined);
});
