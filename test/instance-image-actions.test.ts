import test from 'ava';
import { pino } from 'pino';
import { ActorError } from '../runtime/errors.js';
import type { HandlerContext, Outcome } from '../runtime/kind.js';
import { instanceBehaviourWith, DEFAULT_INSTANCE_TIMEOUTS } from '../actors/instance/behaviour.js';
import { created, type InstanceRow } from '../actors/instance/state.js';
import { imageProgressed, imageRefusal, imageReported } from '../actors/instance/image-rules.js';

// The image-based actions' rules and timers, pure: handlers called directly with a fake context, no node, no database.

const T0 = Date.UTC(2026, 11, 7);
const UUID = '7a1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
const log = pino({ level: 'silent' });
const capturing = (now: number) => {
  const sent: Array<{ to: string; type: string; payload: any; delayMs?: number }> = [];
  const c: HandlerContext = {
    self: { kind: 'instance', id: UUID },
    now,
    log,
    record() {},
    ask: () => Promise.reject(new Error('no other actors in pure tests')),
    send: (to, type, payload, o) => {
      sent.push({ to: `${to.kind}/${to.id}`, type, payload, delayMs: o?.delayMs });
    },
  };
  return { c, sent };
};
const run = <S>(outcome: Outcome<S> | Promise<Outcome<S>>): Outcome<S> => {
  if (outcome instanceof Promise) throw new Error('handler unexpectedly asynchronous');
  return outcome;
};
const server = (over: Partial<InstanceRow> = {}): InstanceRow => ({
  ...created(
    UUID,
    {
      project_id: 'p1',
      user_id: 'u1',
      display_name: 'web',
      flavor_id: '1',
      memory_mb: 512,
      vcpus: 1,
      root_gb: 1,
      image_ref: 'img-1',
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
const caller = { request_id: 'req-1', user_id: 'u1', project_id: 'p1', is_admin: false };

test("Nova's state rules: the lock for all but snapshots and backups, vm_states per action, task_state None only", (t) => {
  t.is(imageRefusal(server(), 'snapshot', false, true), undefined, 'a locked server is snapshotted');
  t.deepEqual(imageRefusal(server(), 'shelve', false, true), { reason: 'locked' });
  t.is(imageRefusal(server(), 'shelve', true, true), undefined, 'admins pass the lock');
  t.deepEqual(imageRefusal(server({ vm_state: 'shelved' }), 'rescue', false, false), { reason: 'invalid_state', attr: 'vm_state', state: 'shelved' });
  t.deepEqual(imageRefusal(server({ task_state: 'powering-off' }), 'rebuild', false, false), {
    reason: 'invalid_state',
    attr: 'task_state',
    state: 'powering-off',
  });
  t.is(imageRefusal(server({ vm_state: 'shelved_offloaded', host: null }), 'unshelve', false, false), undefined, 'offloaded: no host needed');
  t.is(imageRefusal(server({ vm_state: 'error' }), 'rescue', false, false), undefined);
  t.deepEqual(imageRefusal(server({ vm_state: 'error' }), 'snapshot', false, false), { reason: 'invalid_state', attr: 'vm_state', state: 'error' });
});

test('task states advance only along their action; reports end them as Nova does, failures too', (t) => {
  const snapping = server({ task_state: 'image_snapshot' });
  t.is(imageProgressed(snapping, 'snapshot', 'image_pending_upload', T0)?.task_state, 'image_pending_upload');
  t.is(imageProgressed(snapping, 'rebuild', 'rebuild_spawning', T0), undefined, 'another action’s step changes nothing');
  t.like(imageReported(server({ task_state: 'shelving' }), 'shelve', { power_state: 4 }, T0), {
    vm_state: 'shelved',
    power_state: 4,
    task_state: null,
  });
  t.like(imageReported(server({ task_state: 'shelving_offloading' }), 'shelve', { power_state: 0, released: true }, T0), {
    vm_state: 'shelved_offloaded',
    host: null,
    node: null,
  });
  t.like(imageReported(server({ task_state: 'rebuild_spawning', vm_state: 'stopped' }), 'rebuild', { power_state: 4 }, T0), { vm_state: 'stopped' });
  const error = { message: 'disk full' };
  t.like(imageReported(snapping, 'snapshot', { power_state: 1, error }, T0), { vm_state: 'active', task_state: null, fault_message: 'disk full' });
  t.like(imageReported(server({ task_state: 'rescuing' }), 'rescue', { power_state: 0, error }, T0), { vm_state: 'error', task_state: null });
  t.is(imageReported(server(), 'rescue', { power_state: 1 }, T0), undefined, 'a report no longer expected changes nothing');
});

test('an action its host never reports ends with a fault at its deadline; one reported meanwhile is left alone', (t) => {
  const i = instanceBehaviourWith({ ...DEFAULT_INSTANCE_TIMEOUTS, actionMs: 10_000 });
  const ordered = capturing(T0);
  const snapping = run(i.snapshot(server(), { ...caller, image_id: '11111111-2222-4333-8444-555555555555' }, ordered.c)).state as InstanceRow;
  t.like(snapping, { task_state: 'image_snapshot', task_request_id: 'req-1' });
  t.like(ordered.sent, [
    {
      to: 'host/compute-1',
      type: 'imageOp',
      payload: { op: 'snapshot', image_id: '11111111-2222-4333-8444-555555555555', source_image_ref: 'img-1' },
    },
    { to: `instance/${UUID}`, type: 'imageCheck', delayMs: 10_000 },
  ]);
  // Delivered at its deadline (the runtime keeps a delayed message's due time across restarts).
  const check = ordered.sent[1].payload;
  const late = run(i.imageCheck(snapping, check, capturing(T0 + 10_001).c)).state as InstanceRow;
  t.like(late, { vm_state: 'active', task_state: null, fault_code: 500, task_request_id: null });
  t.regex(late.fault_message!, /Timed out waiting for compute host compute-1 to createImage instance/);
  t.is(run(i.imageCheck(server(), check, capturing(T0 + 10_001).c)).state, undefined);
});

test('shelved_offload_time: a shelve reported done sets the offload timer; at its time the server is offloaded as the system; 0 offloads on the host at once', (t) => {
  const later = instanceBehaviourWith({ ...DEFAULT_INSTANCE_TIMEOUTS, shelvedOffloadMs: 60_000 });
  const shelving = run(later.shelve(server(), { ...caller, image_id: '11111111-2222-4333-8444-555555555555' }, capturing(T0).c)).state as InstanceRow;
  const done = capturing(T0 + 10);
  const shelved = run(later.imageDone(shelving, { op: 'shelve', request_id: 'req-1', power_state: 4 }, done.c)).state as InstanceRow;
  t.like(shelved, { vm_state: 'shelved', shelved_image_id: '11111111-2222-4333-8444-555555555555' });
  t.like(done.sent, [{ type: 'shelveOffloadCheck', delayMs: 60_000 }]);
  const due = capturing(T0 + 60_010);
  const offloading = run(later.shelveOffloadCheck(shelved, done.sent[0].payload, due.c)).state as InstanceRow;
  t.is(offloading.task_state, 'shelving_offloading');
  t.like(due.sent[0], { to: 'host/compute-1', type: 'imageOp', payload: { op: 'shelve_offload' } });
  // Unshelved meanwhile: the timer does nothing.
  t.is(run(later.shelveOffloadCheck({ ...shelved, vm_state: 'active' }, done.sent[0].payload, due.c)).state, undefined);

  const atOnce = instanceBehaviourWith({ ...DEFAULT_INSTANCE_TIMEOUTS, shelvedOffloadMs: 0 });
  const order = capturing(T0);
  run(atOnce.shelve(server(), { ...caller, image_id: '11111111-2222-4333-8444-555555555555' }, order.c));
  t.like(order.sent[0], { type: 'imageOp', payload: { op: 'shelve', offload: true } });
  t.throws(() => run(atOnce.shelve(server({ locked: true }), { ...caller, image_id: '11111111-2222-4333-8444-555555555555' }, order.c)), {
    instanceOf: ActorError,
    message: `Instance ${UUID} is locked`,
  });
});
