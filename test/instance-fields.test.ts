import test from 'ava';
import { pino } from 'pino';
import { ActorError } from '../runtime/errors.js';
import type { HandlerContext, Outcome } from '../runtime/kind.js';
import { instanceKind, type InstanceRow } from '../actors/instance/index.js';

// The instance actor's handlers for updates, metadata and tags, called directly: who may change
// what in which state, and what each change leaves in the row.
const T0 = Date.UTC(2026, 0, 1);
const UUID = '6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
const log = pino({ level: 'silent' });
const ctx = (now = T0): HandlerContext => ({
  self: { kind: 'instance', id: UUID },
  now,
  log,
  send() {},
  record() {},
  ask: () => Promise.reject(new Error('no other actors here')),
});
const run = <S>(outcome: Outcome<S> | Promise<Outcome<S>>): Outcome<S> => {
  if (outcome instanceof Promise) throw new Error('handler unexpectedly asynchronous');
  return outcome;
};
const i = instanceKind.behaviour;
const refusal = (t: import('ava').ExecutionContext, f: () => unknown) => {
  const error = t.throws(f, { instanceOf: ActorError });
  t.is(error.code, 'rejected');
  return { status: (error.details as { status?: number } | undefined)?.status, message: error.message };
};

const created = (extra: Record<string, unknown> = {}) =>
  run(
    i.create(
      null,
      {
        project_id: 'p1',
        user_id: 'u1',
        display_name: 'web',
        flavor_id: '1',
        memory_mb: 512,
        vcpus: 1,
        root_gb: 1,
        image_ref: 'img',
        availability_zone: null,
        reservation_id: 'r-1',
        ...extra,
      },
      ctx(),
    ),
  ).state as InstanceRow;
const active = (extra: Record<string, unknown> = {}): InstanceRow => ({
  ...created(extra),
  vm_state: 'active',
  task_state: null,
  launched_at: new Date(T0),
  host: 'c1',
});

test('create records the boot’s extra fields with their defaults', (t) => {
  const plain = created();
  t.like(plain, {
    metadata: '{}',
    tags: '[]',
    user_data: null,
    config_drive: '',
    auto_disk_config: false,
    security_groups: '["default"]',
    trusted_certs: null,
    swap: 0,
    flavor_extra_specs: '{}',
    requested_host: null,
    force_host: false,
    root_device_name: null,
    hostname: 'web',
  });
  const full = created({
    metadata: { a: '1' },
    tags: ['z', 'a', 'z'],
    config_drive: true,
    hostname: 'asked',
    security_groups: [],
    hostname_base: 'x',
  });
  t.like(full, { metadata: '{"a":"1"}', tags: '["a","z"]', config_drive: 'True', hostname: 'asked', security_groups: '[]' });
  t.is(created({ display_name: 'web-2', hostname_base: 'web.', hostname_suffix: 2 }).hostname, 'web-2', 'derived from the base name, then numbered');
  t.is(
    instanceKind.protocol.validate('create', {
      project_id: 'p',
      user_id: 'u',
      display_name: 'x',
      flavor_id: '1',
      memory_mb: 1,
      vcpus: 1,
      root_gb: 0,
      image_ref: '',
      availability_zone: null,
      reservation_id: 'r',
      metadata: { 'bad/key': 'v' },
    })?.code,
    'invalid_message',
  );
});

test('update changes only what it is given and stamps the row', (t) => {
  const row = active({ display_description: 'old' });
  const next = run(i.update(row, { display_name: 'new', access_ip_v4: '192.0.2.1' }, ctx(T0 + 5))).state as InstanceRow;
  t.like(next, { display_name: 'new', display_description: 'old', hostname: 'web', access_ip_v4: '192.0.2.1' });
  t.deepEqual(next.updated_at, new Date(T0 + 5));
  t.is((run(i.update(next, { display_description: null }, ctx())).state as InstanceRow).display_description, null);
  t.is(refusal(t, () => i.update(null, { display_name: 'x' }, ctx())).status, undefined, 'a missing instance is not found');
});

test('metadata merges or replaces within the limit, refused when locked (except for admins) or unsettled', (t) => {
  const row = active({ metadata: { a: '1' } });
  const merged = run(i.updateMetadata(row, { items: { b: '2' }, replace: false, as_admin: false, limit: 128 }, ctx())).state as InstanceRow;
  t.deepEqual(JSON.parse(merged.metadata), { a: '1', b: '2' });
  const replaced = run(i.updateMetadata(merged, { items: { c: '3' }, replace: true, as_admin: false, limit: 128 }, ctx())).state as InstanceRow;
  t.deepEqual(JSON.parse(replaced.metadata), { c: '3' });
  t.deepEqual(
    refusal(t, () => i.updateMetadata(merged, { items: { c: '3' }, replace: false, as_admin: false, limit: 2 }, ctx())),
    { status: 403, message: 'Maximum number of metadata items exceeds 2' },
  );
  t.truthy(run(i.updateMetadata(merged, { items: { c: '3' }, replace: false, as_admin: false, limit: -1 }, ctx())).state, '-1 is unlimited');
  const locked = { ...row, locked: 1 as unknown as boolean };
  t.deepEqual(
    refusal(t, () => i.updateMetadata(locked, { items: {}, replace: false, as_admin: false, limit: 128 }, ctx())),
    { status: 409, message: `Instance ${UUID} is locked` },
  );
  t.truthy(run(i.updateMetadata(locked, { items: {}, replace: false, as_admin: true, limit: 128 }, ctx())).state);
  t.deepEqual(
    refusal(t, () => i.updateMetadata({ ...row, vm_state: 'building' }, { items: {}, replace: true, as_admin: true, limit: 128 }, ctx())),
    { status: 409, message: `Cannot 'update metadata' instance ${UUID} while it is in vm_state building` },
  );
  t.deepEqual(
    refusal(t, () => i.updateMetadata({ ...row, launched_at: null }, { items: {}, replace: true, as_admin: true, limit: 128 }, ctx())),
    { status: 409, message: `Cannot 'update metadata' instance ${UUID} while it is in launched_at None` },
  );
  t.deepEqual(
    refusal(t, () => i.deleteMetadataItem(row, { key: 'zz', as_admin: false }, ctx())),
    { status: 404, message: 'Metadata item was not found' },
  );
  t.deepEqual(
    refusal(t, () => i.deleteMetadataItem({ ...row, task_state: 'deleting' }, { key: 'a', as_admin: false }, ctx())),
    { status: 409, message: `Cannot 'delete metadata' instance ${UUID} while it is in task_state deleting` },
  );
  t.is((run(i.deleteMetadataItem(row, { key: 'a', as_admin: false }, ctx())).state as InstanceRow).metadata, '{}');
});

test('tags are a sorted set of at most 50; changes are refused outside the settled vm_states, locked or not', (t) => {
  const row = active();
  const set = run(i.setTags(row, { tags: ['b', 'a', 'b'] }, ctx())).state as InstanceRow;
  t.is(set.tags, '["a","b"]');
  const added = run(i.addTag(set, { tag: 'c' }, ctx()));
  t.deepEqual(added.reply, { added: true, tags: ['a', 'b', 'c'] });
  const again = run(i.addTag(added.state as InstanceRow, { tag: 'c' }, ctx()));
  t.deepEqual(again, { reply: { added: false, tags: ['a', 'b', 'c'] } }, 'no new state for a tag already there');
  const full = run(i.setTags(row, { tags: Array.from({ length: 50 }, (_, n) => `t${n}`) }, ctx())).state as InstanceRow;
  t.deepEqual(
    refusal(t, () => i.addTag(full, { tag: 't0' }, ctx())),
    { status: 400, message: 'The number of tags exceeded the per-server limit 50' },
  );
  t.deepEqual(
    refusal(t, () => i.deleteTag(set, { tag: 'zz' }, ctx())),
    { status: 404, message: `Instance ${UUID} has no tag 'zz'` },
  );
  t.is((run(i.deleteTag(set, { tag: 'a' }, ctx())).state as InstanceRow).tags, '["b"]');
  t.is((run(i.deleteTags(set, {}, ctx())).state as InstanceRow).tags, '[]');
  t.truthy(run(i.addTag({ ...row, locked: true, task_state: 'rebooting' }, { tag: 'x' }, ctx())).state, 'tags ignore locks and task states, as Nova');
  t.deepEqual(
    refusal(t, () => i.setTags({ ...row, vm_state: 'error' }, { tags: [] }, ctx())),
    { status: 409, message: `Cannot 'update tags' instance ${UUID} while it is in vm_state error` },
  );
  t.is(instanceKind.protocol.validate('addTag', { tag: 'a,b' })?.code, 'invalid_message');
});
