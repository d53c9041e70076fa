import test from 'ava';
import { created } from '../actors/instance/state.js';
import { accepted, locked, rebootStarted, refusal, refusalMessage, reported, unlocked, HOST_OPS, type HostOp } from '../actors/instance/power.js';
import type { InstanceRow } from '../models/instance.js';

// The power actions' state rules alone: which states each action accepts (nova/compute/api.py),
// and what the host's report makes of the server (nova/compute/manager.py).

const T0 = Date.UTC(2026, 0, 1);
const server = (over: Partial<InstanceRow> = {}): InstanceRow => ({
  ...created(
    '8d5f2f7e-0000-4000-8000-000000000001',
    {
      project_id: 'p1',
      user_id: 'u1',
      display_name: 'vm',
      flavor_id: '1',
      memory_mb: 512,
      vcpus: 1,
      root_gb: 1,
      image_ref: 'img',
      availability_zone: 'nova',
      reservation_id: 'r-1',
    },
    T0,
  ),
  vm_state: 'active',
  task_state: null,
  power_state: 1,
  host: 'compute-1',
  node: 'compute-1',
  launched_at: new Date(T0),
  ...over,
});

// Which vm_states each operation accepts with no task under way, by Nova's decorators.
const ACCEPTS: Record<HostOp, string[]> = {
  stop: ['active', 'error'],
  start: ['stopped'],
  soft_reboot: ['active'],
  hard_reboot: ['active', 'stopped', 'paused', 'suspended', 'error'],
  pause: ['active'],
  unpause: ['paused'],
  suspend: ['active'],
  resume: ['suspended'],
};
const VM_STATES = ['active', 'stopped', 'paused', 'suspended', 'error', 'rescued', 'resized', 'shelved'];

test('each operation accepts exactly the vm_states Nova’s check_instance_state lists', (t) => {
  for (const op of HOST_OPS) {
    for (const vm of VM_STATES) {
      const r = refusal(server({ vm_state: vm }), op, false);
      if (ACCEPTS[op].includes(vm)) t.is(r, undefined, `${op} from ${vm}`);
      else t.deepEqual(r, { reason: 'invalid_state', attr: 'vm_state', state: vm }, `${op} from ${vm}`);
    }
  }
});

test('a task under way refuses everything but a hard reboot of the tasks Nova lets it interrupt', (t) => {
  for (const task of ['powering-off', 'deleting', 'rebooting_hard']) {
    t.deepEqual(refusal(server({ task_state: task }), 'stop', false), { reason: 'invalid_state', attr: 'task_state', state: task });
  }
  for (const task of ['rebooting', 'reboot_started', 'pausing', 'suspending', 'resuming', 'unpausing', 'rebooting_hard']) {
    t.is(refusal(server({ task_state: task }), 'hard_reboot', false), undefined, task);
  }
  t.deepEqual(refusal(server({ task_state: 'powering-off' }), 'hard_reboot', false), {
    reason: 'invalid_state',
    attr: 'task_state',
    state: 'powering-off',
  });
  t.deepEqual(refusal(server({ task_state: 'rebooting' }), 'soft_reboot', false), {
    reason: 'invalid_state',
    attr: 'task_state',
    state: 'rebooting',
  });
});

test('checks come in Nova’s order: lock (admins pass), host, vm_state, task_state, launched_at', (t) => {
  const lockedStopped = server({ locked: true, vm_state: 'stopped' });
  t.deepEqual(refusal(lockedStopped, 'stop', false), { reason: 'locked' });
  t.deepEqual(refusal(lockedStopped, 'stop', true), { reason: 'invalid_state', attr: 'vm_state', state: 'stopped' });
  t.is(refusal(server({ locked: true }), 'pause', true), undefined);
  const unplaced = server({ vm_state: 'error', host: null, launched_at: null });
  t.deepEqual(refusal(unplaced, 'stop', false), { reason: 'not_ready' }, 'stop checks the host first');
  t.deepEqual(refusal(unplaced, 'hard_reboot', false), { reason: 'invalid_state', attr: 'launched_at', state: null });
  t.is(
    refusalMessage('X', 'hard_reboot', { reason: 'invalid_state', attr: 'launched_at', state: null }),
    'Instance X in launched_at None. Cannot reboot while the instance is in this state.',
  );
  t.is(refusalMessage('X', 'stop', { reason: 'locked' }), 'Instance X is locked');
});

test('the host’s report: success moves to the action’s vm_state; failures as Nova reverts them', (t) => {
  const done = (op: HostOp, from: Partial<InstanceRow>, report: Parameters<typeof reported>[2]) =>
    reported(accepted(server(from), op, T0), op, report, T0 + 5);
  t.like(done('stop', {}, { power_state: 4 }), { vm_state: 'stopped', task_state: null, power_state: 4 });
  t.like(done('start', { vm_state: 'stopped', power_state: 4 }, { power_state: 1 }), { vm_state: 'active', power_state: 1 });
  t.like(done('pause', {}, { power_state: 3 }), { vm_state: 'paused', power_state: 3 });
  t.like(done('suspend', {}, { power_state: 4 }), { vm_state: 'suspended', power_state: 4 });
  t.like(done('hard_reboot', { vm_state: 'error' }, { power_state: 1 }), { vm_state: 'active', task_state: null });
  const error = { message: 'boom', traceback: 'at boom()' };
  t.like(done('stop', {}, { power_state: 1, error }), { vm_state: 'active', task_state: null, fault_message: 'boom', fault_details: 'at boom()' });
  t.like(done('pause', {}, { power_state: 1, error }), { vm_state: 'active', task_state: null });
  t.like(done('suspend', {}, { power_state: 1, error }), { vm_state: 'error', task_state: null });
  t.like(done('resume', { vm_state: 'suspended' }, { power_state: 4, error }), { vm_state: 'error' });
  t.like(
    done('soft_reboot', {}, { power_state: 1, error }),
    { vm_state: 'active', task_state: null },
    'a reboot that failed with the guest running leaves it ACTIVE',
  );
  t.like(done('soft_reboot', {}, { power_state: 4, error }), { vm_state: 'error' });
});

test('a report no longer expected leaves the server alone; a soft reboot waiting is reboot_started', (t) => {
  t.is(reported(server(), 'stop', { power_state: 4 }, T0), undefined, 'no stop under way');
  t.is(reported(accepted(server(), 'hard_reboot', T0), 'soft_reboot', { power_state: 1 }, T0), undefined, 'a hard reboot took over');
  t.is(reported({ ...accepted(server(), 'stop', T0), deleted_at: new Date(T0) }, 'stop', { power_state: 4 }, T0), undefined);
  const waiting = rebootStarted(accepted(server(), 'soft_reboot', T0), 'soft_reboot', T0);
  t.is(waiting?.task_state, 'reboot_started');
  t.like(reported(waiting!, 'soft_reboot', { power_state: 1 }, T0), { task_state: null, vm_state: 'active' });
  t.is(rebootStarted(accepted(server(), 'hard_reboot', T0), 'soft_reboot', T0), undefined);
});

test('locks: an owner relocking changes nothing; an admin’s lock is the admin’s; a reason lasts until unlocked', (t) => {
  const mine = locked(server(), 'p1', 'maintenance', T0)!;
  t.like(mine, { locked: true, locked_by: 'owner', locked_reason: 'maintenance' });
  t.is(locked(mine, 'p1', 'other', T0), undefined);
  const theirs = locked(mine, 'admin-project', undefined, T0)!;
  t.like(theirs, { locked_by: 'admin', locked_reason: 'maintenance' });
  t.like(unlocked(theirs, T0), { locked: false, locked_by: null, locked_reason: null });
  t.like(locked(unlocked(theirs, T0), 'p1', undefined, T0), { locked_reason: null });
});
