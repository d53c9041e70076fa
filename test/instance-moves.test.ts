import test from 'ava';
import type { InstanceRow } from '../models/instance.js';
import {
  confirmed,
  flavorOf,
  isForward,
  moveAccepted,
  moveFailedOn,
  moveFinished,
  moveRefusal,
  refusalText,
  reverted,
  type MoveContext,
} from '../actors/instance/moves.js';

// The pure rules of moving a server (actors/instance/moves.ts): Nova's state checks and the rows a move leaves.

const T0 = Date.UTC(2026, 11, 7, 3);
const server = (over: Partial<InstanceRow> = {}): InstanceRow =>
  ({
    uuid: 'u-1',
    project_id: 'p',
    user_id: 'u',
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host: 'compute-1',
    node: 'compute-1',
    locked: false,
    flavor_id: '1',
    flavor_name: 'm1.tiny',
    memory_mb: 512,
    vcpus: 1,
    root_gb: 1,
    ephemeral_gb: 0,
    swap: 0,
    flavor_extra_specs: '{}',
    migration_context: null,
    updated_at: new Date(T0),
    ...over,
  }) as InstanceRow;

const small = { flavor_id: '2', flavor_name: 'm1.small', memory_mb: 2048, vcpus: 1, root_gb: 20, ephemeral_gb: 0, swap: 0, flavor_extra_specs: '{}' };
const move = (over: Partial<MoveContext> = {}): MoveContext => ({
  migration: 'm-1',
  id: 1001,
  type: 'resize',
  source: 'compute-1',
  dest: 'compute-2',
  old: flavorOf(server()),
  new: small,
  was: 'active',
  request_id: 'req-1',
  action: 'resize',
  user_id: 'u',
  project_id: 'p',
  confirm_window_ms: 0,
  ...over,
});

test('Nova’s checks: the lock first (admins pass), then vm_state, then task_state', (t) => {
  t.deepEqual(moveRefusal(server({ locked: true, vm_state: 'paused' }), 'resize', false), { reason: 'locked' });
  t.like(moveRefusal(server({ locked: true, vm_state: 'paused' }), 'resize', true), { attr: 'vm_state', state: 'paused' });
  t.like(moveRefusal(server({ task_state: 'rebooting' }), 'migrate', false), { attr: 'task_state', state: 'rebooting' });
  t.is(moveRefusal(server({ vm_state: 'paused' }), 'os-migrateLive', false), undefined, 'a paused server may live-migrate');
  t.is(moveRefusal(server({ vm_state: 'error' }), 'evacuate', false), undefined);
  t.like(moveRefusal(server(), 'confirmResize', false), { attr: 'vm_state', state: 'active' });
  t.is(
    refusalText('u-1', { reason: 'invalid_state', attr: 'task_state', state: null }, 'resize'),
    'Instance u-1 in task_state None. Cannot resize while the instance is in this state.',
  );
});

test('a resize goes forward only: a late report of an earlier step changes nothing', (t) => {
  const prep = moveAccepted(server(), move(), T0 + 1);
  t.is(prep.task_state, 'resize_prep');
  t.true(isForward(prep, 'resize_migrating'));
  t.false(isForward({ ...prep, task_state: 'resize_migrated' }, 'resize_migrating'));
  t.is(moveAccepted(server(), move({ type: 'live-migration' }), T0).task_state, 'migrating');
  t.is(moveAccepted(server(), move({ type: 'evacuation' }), T0).task_state, 'rebuilding');
});

test('finished, confirmed and reverted rows: the flavor and host follow the move, a stopped server stays stopped', (t) => {
  const m = move({ was: 'stopped' });
  const accepted = moveAccepted(server({ vm_state: 'stopped', power_state: 4 }), m, T0 + 1);
  const finished = moveFinished(accepted, m, 4, T0 + 2);
  t.like(finished, { vm_state: 'resized', task_state: null, host: 'compute-2', memory_mb: 2048, flavor_name: 'm1.small' });
  t.like(confirmed(finished, m, T0 + 3), { vm_state: 'stopped', host: 'compute-2', migration_context: null });
  t.like(reverted(finished, m, 4, T0 + 3), {
    vm_state: 'stopped',
    host: 'compute-1',
    memory_mb: 512,
    flavor_name: 'm1.tiny',
    migration_context: null,
  });
  const live = moveFinished(
    moveAccepted(server(), move({ type: 'live-migration', new: flavorOf(server()) }), T0),
    move({ type: 'live-migration', new: flavorOf(server()) }),
    1,
    T0 + 1,
  );
  t.like(live, { vm_state: 'active', host: 'compute-2', migration_context: null, memory_mb: 512 });
  t.like(moveFailedOn(accepted, 'no room', T0 + 2), { task_state: null, vm_state: 'stopped', host: 'compute-1', fault_message: 'no room' });
});
