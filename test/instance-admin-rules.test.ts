import test from 'ava';
import { created } from '../actors/instance/state.js';
import { changePasswordRefusal, crashDumpRefusal, passwordNotSet, stateReset } from '../actors/instance/admin.js';
import { reclaimDue, restoreRefusal, restoreReported, softDeleteReported, softDeleting } from '../actors/instance/soft-delete.js';
import type { InstanceRow } from '../models/instance.js';
import { softDeleteHandlers } from '../actors/instance/soft-delete-behaviour.js';
import type { HandlerContext, Outcome } from '../runtime/kind.js';
import { silentLogger } from '../runtime/logger.js';

// The rules of os-resetState, changePassword, trigger_crash_dump and soft delete alone (nova/compute/api.py's
// decorators, the compute manager and libvirt driver).

const T0 = Date.UTC(2026, 0, 1);
const UUID = '8d5f2f7e-0000-4000-8000-000000000002';
const server = (over: Partial<InstanceRow> = {}): InstanceRow => ({
  ...created(
    UUID,
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

test('trigger_crash_dump: lock, host, vm_state (ALLOW_TRIGGER_CRASH_DUMP), task, launched, in that order', (t) => {
  for (const vm_state of ['active', 'paused', 'rescued', 'resized', 'error'])
    t.is(crashDumpRefusal(server({ vm_state }), false), undefined, vm_state);
  for (const vm_state of ['stopped', 'suspended', 'shelved', 'soft-delete'])
    t.like(crashDumpRefusal(server({ vm_state }), false), { attr: 'vm_state', state: vm_state });
  t.like(crashDumpRefusal(server({ locked: true, vm_state: 'stopped' }), false), { message: `Instance ${UUID} is locked` });
  t.is(crashDumpRefusal(server({ locked: true }), true), undefined, 'admins pass the lock');
  t.like(crashDumpRefusal(server({ host: null }), false), { message: `Instance ${UUID} is not ready` });
  t.like(crashDumpRefusal(server({ task_state: 'pausing' }), false), { attr: 'task_state', state: 'pausing' });
  t.like(crashDumpRefusal(server({ launched_at: null }), false), { attr: 'launched_at', state: null });
});

test('changePassword: active with no task; the lock in the API’s generic words; the host’s answer without a guest agent', (t) => {
  t.is(changePasswordRefusal(server(), false), undefined);
  t.like(changePasswordRefusal(server({ vm_state: 'paused' }), false), { attr: 'vm_state', state: 'paused' });
  t.like(changePasswordRefusal(server({ locked: true }), false), { message: `Instance ${UUID} is in an invalid state for 'changePassword'` });
  t.is(passwordNotSet(server()), 'QEMU guest agent is not enabled');
  t.is(passwordNotSet(server({ power_state: 4 })), `Failed to set admin password on ${UUID} because instance ${UUID} is not running`);
});

test('os-resetState sets the vm_state and clears the task, whatever was under way', (t) => {
  t.like(stateReset(server({ task_state: 'powering-off' }), 'error', T0 + 5), { vm_state: 'error', task_state: null, updated_at: new Date(T0 + 5) });
  t.like(stateReset(server({ vm_state: 'error' }), 'active', T0), { vm_state: 'active' });
});

test('soft delete: the report makes it soft-delete (or only clears the task on error); restore’s checks and report', (t) => {
  const going = softDeleting(server(), T0 + 1);
  t.is(going.task_state, 'soft-deleting');
  t.like(softDeleteReported(going, { power_state: 4 }, T0 + 2), { vm_state: 'soft-delete', task_state: null, power_state: 4 });
  t.like(softDeleteReported(going, { power_state: 1, error: { message: 'x' } }, T0 + 2), { vm_state: 'active', task_state: null });
  t.is(softDeleteReported(server({ task_state: 'deleting' }), { power_state: 4 }, T0), undefined, 'a delete overtook it');
  const soft = server({ vm_state: 'soft-delete', power_state: 4 });
  t.is(restoreRefusal(soft, false), undefined);
  t.like(restoreRefusal(server(), false), { attr: 'vm_state', state: 'active' });
  t.like(restoreRefusal({ ...soft, locked: true }, false), { message: `Instance ${UUID} is in an invalid state for 'restore'` });
  t.like(restoreReported({ ...soft, task_state: 'restoring' }, { power_state: 1 }, T0), { vm_state: 'active', task_state: null });
  t.like(restoreReported({ ...soft, task_state: 'restoring' }, { power_state: 4, error: {} }, T0), { vm_state: 'soft-delete', task_state: null });
});

test('the reclaim is due the interval after the last change, and never for a server no longer soft-deleted', (t) => {
  const soft = server({ vm_state: 'soft-delete', updated_at: new Date(T0) });
  t.is(reclaimDue(soft, T0 + 1000, 1000), T0 + 1000);
  t.is(reclaimDue({ ...soft, updated_at: new Date(T0 + 500) }, T0 + 1000, 1000), T0 + 1500, 'changed meanwhile: later');
  t.is(reclaimDue(server(), T0 + 1000, 1000), undefined, 'restored');
  t.is(reclaimDue({ ...soft, deleted_at: new Date(T0) }, T0 + 1000, 1000), undefined, 'deleted');
});

/** A handler context that keeps what the handler sends and records. */
function capturing(now: number) {
  const sent: Array<{ type: string; payload: any; delayMs?: number }> = [];
  const records: Array<{ model: string; row: any }> = [];
  const c: HandlerContext = {
    self: { kind: 'instance', id: UUID },
    now,
    log: silentLogger(),
    ask: () => Promise.reject(new Error('no questions here')),
    send: (_to, type, payload, o) => void sent.push({ type, payload, delayMs: o?.delayMs }),
    record: (model, row) => void records.push({ model, row }),
  };
  return { c, sent, records };
}
const run = (o: Outcome<InstanceRow> | Promise<Outcome<InstanceRow>>) => o as Outcome<InstanceRow>;
const h = softDeleteHandlers({ actionMs: 60_000 });

// The check is delivered at its deadline (the runtime keeps a delayed message's due time across restarts).
test('a soft delete or restore its host never reports: the task cleared and its event failed at the deadline', (t) => {
  const going = softDeleting(server(), T0);
  const check = { op: 'soft_delete' as const, request_id: 'req-1', deadline: T0 + 60_000 };
  const late = capturing(T0 + 60_000);
  t.like(run(h.keptPowerCheck(going, check, late.c)).state, { vm_state: 'active', task_state: null });
  t.like(late.records.find((r) => r.model === 'InstanceActionEvent')?.row, { event: 'compute_soft_delete_instance', result: 'Error' });
  t.is(run(h.keptPowerCheck(server(), check, capturing(T0 + 60_000).c)).state, undefined, 'reported meanwhile');
  const restoring = { ...server({ vm_state: 'soft-delete' }), task_state: 'restoring' };
  t.like(run(h.keptPowerCheck(restoring, { ...check, op: 'restore' }, capturing(T0 + 60_000).c)).state, {
    vm_state: 'soft-delete',
    task_state: null,
  });
});

test('the reclaim: early it looks again at the due time; due, the host is told to release and the server is deleting', (t) => {
  const soft = server({ vm_state: 'soft-delete', updated_at: new Date(T0) });
  const early = capturing(T0 + 500);
  t.is(run(h.reclaim(soft, { deadline: T0 + 1_000, reclaim_after_ms: 1_000 }, early.c)).state, undefined);
  t.like(early.sent[0], { type: 'reclaim', delayMs: 500 });
  const due = capturing(T0 + 1_000);
  t.like(run(h.reclaim(soft, { deadline: T0 + 1_000, reclaim_after_ms: 1_000 }, due.c)).state, { task_state: 'deleting' });
  t.like(due.sent[0], { type: 'release', payload: { instance_uuid: UUID, memory_mb: 512, vcpus: 1 } });
});
