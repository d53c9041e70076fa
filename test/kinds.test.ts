import test from 'ava';
import { pino } from 'pino';
import { ActorError } from '../runtime/errors.js';
import type { HandlerContext, KindDefinition, Outcome } from '../runtime/kind.js';
import { instanceKind, hostnameFrom, type InstanceRow } from '../actors/instance/index.js';
import { hostKind as makeHostKind, type HostRow } from '../actors/host/index.js';
import { registered, reregistered } from '../actors/host/state.js';
import { networkKind as makeNetworkKind, type NetworkOps } from '../actors/network/index.js';
import { routerKind as makeRouterKind, ROUTER_PIN, type RouterOps } from '../actors/router/index.js';
import type { NeutronNetworkRow } from '../models/index.js';
import { volumeKind, type VolumeRow } from '../actors/volume/index.js';
import { schedulerKind as makeSchedulerKind, type SchedulerRow } from '../actors/scheduler/index.js';

// The host and scheduler kinds' I/O is exercised for real by the compute tests; here only their pure parts run.
const unused = () => {
  throw new Error('not used by these tests');
};
const hostKind = makeHostKind({ hypervisor: unused, instancesOn: unused, failSpawn: () => false });
const schedulerKind = makeSchedulerKind({ loadHosts: unused, maxAttempts: 3, serviceDownMs: 60_000, hostViewMaxAgeMs: 1_000 });
// The network's writes as a map of rows (their SQL runs for real in the network tests); a refusal as NetworkOps throws one.
const networkRows = new Map<string, Record<string, unknown>>();
const fakeNetworkOps: NetworkOps = {
  createNetwork: (row) => {
    if (row.name === 'over')
      return Promise.reject(Object.assign(new Error('Quota exceeded for resources: [network].'), { status: 409, type: 'OverQuota' }));
    networkRows.set(row.id as string, row);
    return Promise.resolve(row as unknown as NeutronNetworkRow);
  },
  updateNetwork: unused,
  deleteNetwork: (id) => Promise.resolve(void networkRows.delete(id)),
  createSubnet: unused,
  updateSubnet: unused,
  deleteSubnet: unused,
};
let crashes = 0;
const networkKind = makeNetworkKind({ ops: fakeNetworkOps, crashOnce: (_kind, type) => type === 'delete' && crashes++ === 0 });
const routerKind = makeRouterKind({ ops: {} as RouterOps });
import { consoleKind, type ConsoleRow } from '../actors/console/index.js';
import { policyFrom } from '../supervisors/policy.js';
import { mayActivate, nodeWithRole } from '../runtime/cluster/roles.js';
import { placeActor } from '../runtime/cluster/placement.js';
import { SingleNodeView } from '../runtime/cluster/single-node.js';
import { placedGateway } from '../runtime/cluster/gateway.js';

// Pure tests: handlers are called directly with a fake context, no node and no database.

const T0 = Date.UTC(2026, 0, 1);
const log = pino({ level: 'silent' });
const ctx = (kind: string, id: string, now = T0): HandlerContext => ({
  self: { kind, id },
  now,
  log,
  send() {},
  record() {},
  ask: () => Promise.reject(new Error('no other actors in pure tests')),
});

/** Runs a handler and returns its outcome; every real handler is synchronous. */
const run = <S>(outcome: Outcome<S> | Promise<Outcome<S>>): Outcome<S> => {
  if (outcome instanceof Promise) throw new Error('handler unexpectedly asynchronous');
  return outcome;
};

const rejected = (t: import('ava').ExecutionContext, f: () => unknown, message?: RegExp) => {
  const error = t.throws(f, { instanceOf: ActorError });
  t.is(error?.code, 'rejected');
  if (message) t.regex(error?.message ?? '', message);
};

const UUID = '6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
const newInstance = {
  project_id: 'p1',
  user_id: 'u1',
  display_name: 'Web Server #1',
  flavor_id: '1',
  memory_mb: 512,
  vcpus: 1,
  root_gb: 1,
  image_ref: 'img-1',
  availability_zone: 'nova',
  reservation_id: 'r-0001',
};
const i = instanceKind.behaviour;
const createdInstance = () => run(i.create(null, newInstance, ctx('instance', UUID))).state as InstanceRow;

test('instance create fills in a building server', (t) => {
  const out = run(i.create(null, newInstance, ctx('instance', UUID)));
  const row = out.state as InstanceRow;
  t.deepEqual(out.reply, row);
  t.like(row, {
    uuid: UUID,
    display_name: 'Web Server #1',
    hostname: 'web-server-1',
    vm_state: 'building',
    task_state: 'scheduling',
    power_state: 0,
    locked: false,
    ephemeral_gb: 0,
    launch_index: 0,
    display_description: null,
    key_name: null,
    host: null,
    deleted_at: null,
    fault_code: null,
    fault_message: null,
    fault_details: null,
  });
  t.deepEqual(row.created_at, new Date(T0));
  t.deepEqual(row.updated_at, new Date(T0));
  rejected(t, () => i.create(row, newInstance, ctx('instance', UUID)), /already exists/);
});

test('instance update of the name keeps the hostname and does not mutate the old state', (t) => {
  const row = createdInstance();
  const before = structuredClone(row);
  const next = run(i.update(row, { display_name: 'db' }, ctx('instance', UUID, T0 + 1000))).state as InstanceRow;
  t.deepEqual(row, before);
  t.is(next.display_name, 'db');
  t.is(next.hostname, 'web-server-1');
  t.deepEqual(next.updated_at, new Date(T0 + 1000));
  t.deepEqual(next.created_at, new Date(T0));
});

test('instance spawned puts the server on its host, active, and stamps launched_at', (t) => {
  const row = createdInstance();
  const active = run(i.spawned(row, { host: 'c1', node: 'c1', power_state: 1 }, ctx('instance', UUID, T0 + 5))).state as InstanceRow;
  t.like(active, { vm_state: 'active', task_state: null, power_state: 1, host: 'c1', node: 'c1', availability_zone: 'nova' });
  t.deepEqual(active.launched_at, new Date(T0 + 5));
  t.is(row.launched_at, null);
});

test('instance delete is soft and idempotent; a deleted instance is not found', (t) => {
  const row = createdInstance();
  const gone = run(i.delete(row, {}, ctx('instance', UUID, T0 + 7))).state as InstanceRow;
  t.like(gone, { vm_state: 'deleted', task_state: null });
  t.deepEqual(gone.deleted_at, new Date(T0 + 7));
  t.deepEqual(gone.terminated_at, new Date(T0 + 7));
  const again = run(i.delete(gone, {}, ctx('instance', UUID, T0 + 9)));
  t.is(again.state, undefined);
  t.deepEqual(again.reply, gone);
  rejected(t, () => i.get(gone, {}, ctx('instance', UUID)), /not found/);
  rejected(t, () => i.update(gone, { display_name: 'x' }, ctx('instance', UUID)), /not found/);
  rejected(t, () => i.delete(null, {}, ctx('instance', UUID)), /not found/);
});

test('instance get replies the row and rejects a missing one', (t) => {
  const row = createdInstance();
  const out = run(i.get(row, {}, ctx('instance', UUID)));
  t.is(out.reply, row);
  t.false('state' in out);
  rejected(t, () => i.get(null, {}, ctx('instance', UUID)), new RegExp(`instance ${UUID} not found`));
  rejected(t, () => i.spawned(null, { host: 'c1', node: 'c1', power_state: 1 }, ctx('instance', UUID)), /not found/);
});

test('hostnames are derived from display names like Nova does', (t) => {
  t.is(hostnameFrom('My Server', UUID), 'my-server');
  t.is(hostnameFrom('--Web_01.example--', UUID), 'web-01-example');
  t.is(hostnameFrom('Café Ünïcode', UUID), 'café-ünïcode', 'Latin-1 letters are word characters');
  t.is(hostnameFrom('日本語', UUID), `Server-${UUID}`);
  t.is(hostnameFrom('!!!', UUID), `Server-${UUID}`);
  t.is(hostnameFrom('a'.repeat(100), UUID).length, 63);
  t.is(hostnameFrom(`${'b'.repeat(62)} tail`, UUID), 'b'.repeat(62));
  t.is(hostnameFrom('web', UUID, 3), 'web-3');
  t.is(hostnameFrom('!!!', UUID, 3), `Server-${UUID}`, 'no index on the fallback, as in Nova');
});

test('instance onFailed records an error fault', (t) => {
  const row = createdInstance();
  const failed = instanceKind.onFailed!(row, 'x'.repeat(300), T0 + 42)!;
  t.like(failed, { vm_state: 'error', task_state: null, fault_code: 500, fault_details: null });
  t.is(failed.fault_message, 'x'.repeat(255));
  t.deepEqual(failed.updated_at, new Date(T0 + 42));
  t.is(row.vm_state, 'building');
  t.is(instanceKind.onFailed!(null, 'boom', T0), undefined);
  t.deepEqual(instanceKind.summary!(failed), { vm_state: 'error', task_state: null, power_state: 0, host: null });
});

test('volume attach, detach and delete follow Cinder rules', (t) => {
  const v = volumeKind.behaviour;
  const c = ctx('volume', 'v1');
  const row = run(v.create(null, { project_id: 'p1', name: 'data', size_gb: 10 }, c)).state as VolumeRow;
  t.like(row, { status: 'available', attached_to: null });
  rejected(t, () => v.detach(row, {}, c), /in-use/);
  const inUse = run(v.attach(row, { instance_uuid: UUID }, c)).state as VolumeRow;
  t.like(inUse, { status: 'in-use', attached_to: UUID });
  rejected(t, () => v.attach(inUse, { instance_uuid: 'other' }, c), /status must be available.*in-use/);
  rejected(t, () => v.delete(inUse, {}, c), /must not be attached/);
  const free = run(v.detach(inUse, {}, c)).state as VolumeRow;
  t.like(free, { status: 'available', attached_to: null });
  const gone = run(v.delete(free, {}, c)).state as VolumeRow;
  t.like(gone, { status: 'deleted' });
  t.truthy(gone.deleted_at);
  rejected(t, () => v.attach(gone, { instance_uuid: UUID }, c), /not found/);
  t.like(volumeKind.onFailed!(inUse, 'disk gone', T0), { status: 'error', failure_reason: 'disk gone', attached_to: UUID });
});

test('console get reports an open session as expired once its time is up; close records how it ended and the bytes', (t) => {
  const sockets = { closedWith: [] as string[] };
  const live = { toGuest: () => 7, toClient: () => 9, close: (reason: string) => void sockets.closedWith.push(reason) };
  let held: typeof live | undefined = live;
  const k = consoleKind({ session: (id) => (id === 'n1:s1' ? held : undefined) }).behaviour;
  const open = {
    instance_uuid: UUID,
    protocol: 'vnc' as const,
    console_type: 'novnc',
    host: 'c1',
    port: 5900,
    expires_at: T0 + 60_000,
    node: 'n1',
    token_id: 'tok-row',
  };
  const row = run(k.open(null, open, ctx('console', 'n1:s1'))).state as ConsoleRow;
  t.like(row, { status: 'open', port: 5900, node: 'n1', token_id: 'tok-row' });
  t.deepEqual(row.expires_at, new Date(T0 + 60_000));
  t.like(run(k.get(row, {}, ctx('console', 'n1:s1', T0 + 59_999))).reply, { status: 'open' });
  const late = run(k.get(row, {}, ctx('console', 'n1:s1', T0 + 60_000)));
  t.like(late.reply, { status: 'expired' });
  t.false('state' in late);
  t.is(row.status, 'open');
  // An operator's close: the sockets still open on the node are closed, their counts recorded.
  const closed = run(k.close(row, { reason: 'operator' }, ctx('console', 'n1:s1'))).state as ConsoleRow;
  t.like(closed, { status: 'closed', end_reason: 'operator', bytes_to_guest: 7, bytes_to_client: 9 });
  t.deepEqual(sockets.closedWith, ['operator']);
  // The registry's own report once the sockets are gone changes nothing.
  held = undefined;
  t.false('state' in run(k.close(closed, { reason: 'closed', bytes_to_guest: 1, bytes_to_client: 1 }, ctx('console', 'n1:s1'))));
  // A session whose sockets ended by themselves: the registry's counts.
  const ended = run(k.close(row, { reason: 'closed', bytes_to_guest: 3, bytes_to_client: 4 }, ctx('console', 'n1:s1'))).state as ConsoleRow;
  t.like(ended, { status: 'closed', end_reason: 'closed', bytes_to_guest: 3, bytes_to_client: 4 });
  rejected(t, () => k.get(null, {}, ctx('console', 'n1:s1')), /not found/);
  rejected(t, () => k.open(row, open, ctx('console', 'n1:s1')), /already exists/);
  const kind = consoleKind({ session: () => undefined });
  t.true(kind.keepsActive!(row), 'an open session is never passivated');
  t.false(kind.keepsActive!(closed));
});

test('host register creates or updates, and usage and disabling change the row', async (t) => {
  const h = hostKind.behaviour;
  const c = ctx('host', 'compute-1');
  const reg = {
    availability_zone: 'nova',
    hypervisor_type: 'QEMU',
    libvirt_uri: 'qemu:///system',
    vcpus: 8,
    memory_mb: 16384,
    local_gb: 100,
    cpu_allocation_ratio: 16,
    ram_allocation_ratio: 1.5,
    disk_allocation_ratio: 1,
  };
  const row = registered('compute-1', reg, T0);
  t.like(row, { name: 'compute-1', status: 'up', vcpus_used: 0, running_vms: 0, service_disabled: false });
  const used = run(h.setUsage(row, { vcpus_used: 2, memory_mb_used: 1024, local_gb_used: 10, running_vms: 2 }, c)).state as HostRow;
  const bigger = reregistered(used, { ...reg, vcpus: 16 }, T0 + 1);
  t.like(bigger, { vcpus: 16, vcpus_used: 2, running_vms: 2 });
  const off = run(h.disable(bigger, { reason: 'maintenance' }, c)).state as HostRow;
  t.like(off, { service_disabled: true, disabled_reason: 'maintenance' });
  t.like(run(h.enable(off, {}, c)).state, { service_disabled: false, disabled_reason: null });
  const down = run(h.forceDown(bigger, { forced_down: true }, c)).state as HostRow;
  t.like(down, { forced_down: true, service_disabled: false });
  t.like(run(h.forceDown(down, { forced_down: false }, c)).state, { forced_down: false });
  // A deleted compute service's reports change nothing until it registers again.
  t.deepEqual(await h.heartbeat(null, { sent_at: T0 }, c), {});
  rejected(t, () => h.enable(null, {}, c), /not found/);
  t.like(hostKind.onFailed!(row, 'libvirt down', T0)!, { status: 'failed', failure_reason: 'libvirt down' });
});

test("network: create writes through its ops once (a replay answers the row held); a refusal is a rejection carrying Neutron's type; the crash switch crashes", async (t) => {
  const n = networkKind.behaviour;
  const id = '00000000-0000-4000-8000-000000000001';
  const c = ctx('network', id);
  const row = { id, project_id: 'p1', name: 'net' };
  const made = await n.create(null, { row }, c);
  t.is((made.state as NeutronNetworkRow).name, 'net');
  const again = { ...row, name: 'again' };
  t.deepEqual(await n.create(made.state as NeutronNetworkRow, { row: again }, c), { reply: made.state });
  const over = { ...row, name: 'over' };
  const refused = await t.throwsAsync(async () => n.create(null, { row: over }, c));
  t.true(refused instanceof ActorError);
  t.like(refused, { code: 'rejected', details: { status: 409, type: 'OverQuota' } });
  const other = await t.throwsAsync(async () => n.create(null, { row: { ...row, id: '00000000-0000-4000-8000-000000000002' } }, c));
  t.regex(other.message, /is not/);
  const crashed = await t.throwsAsync(async () => n.delete(made.state as NeutronNetworkRow, {}, c));
  t.false(crashed instanceof ActorError, 'a crash, not a refusal: supervision restarts the actor and retries');
  t.deepEqual(await n.delete(made.state as NeutronNetworkRow, {}, c), { state: null, reply: { deleted: id } });
  t.false(networkRows.has(id));
  const missing = await t.throwsAsync(async () => n.get(null, {}, c));
  t.like(missing, { code: 'rejected', details: { status: 404, type: 'NetworkNotFound' } });
});

test('scheduler get answers a zero row before the first decision; a heartbeat stamps it', (t) => {
  const s = schedulerKind.behaviour;
  const c = ctx('scheduler', 'node-1');
  t.like(run(s.get(null, {}, c)).reply, { name: 'node-1', decisions: 0, last_decision_at: null });
  const one = run(s.heartbeat(null, { sent_at: T0 + 3 }, ctx('scheduler', 'node-1', T0 + 3))).state as SchedulerRow;
  t.is(one.decisions, 0);
  t.deepEqual(one.updated_at, new Date(T0 + 3));
  t.is(schedulerKind.onFailed!(one, 'boom', T0), undefined);
});

const kinds: KindDefinition[] = [
  instanceKind,
  hostKind,
  networkKind,
  routerKind,
  volumeKind,
  schedulerKind,
  consoleKind({ session: () => undefined }),
];

test('every kind reads with a transient get and changes state durably', (t) => {
  for (const kind of kinds) {
    t.is(kind.protocol.kind, kind.kind);
    // The scheduler's select and the host's uptime, console output and console endpoint are questions, like get: they change nothing durable.
    // Heartbeats and a hypervisor's events, periodic sync and lost daemon are transient writes: they change state,
    // but nothing redelivers an old one (the next says what is true then).
    const transient = [
      'get',
      'select',
      'uptime',
      'consoleOutput',
      'consoleEndpoint',
      'diagnostics',
      'moveCurrent',
      'heartbeat',
      'domainEvent',
      'syncPower',
      'hypervisorLost',
    ];
    for (const type of kind.protocol.types) t.is(kind.protocol.isDurable(type), !transient.includes(type), `${kind.kind}.${type}`);
    for (const type of kind.protocol.types)
      t.is(
        kind.protocol.writes(type),
        !['get', 'select', 'uptime', 'consoleOutput', 'consoleEndpoint', 'diagnostics', 'moveCurrent'].includes(type),
        `${kind.kind}.${type} writes`,
      );
    t.is(kind.protocol.validate('get', {}), undefined);
  }
  t.deepEqual(
    kinds.filter((k) => !k.passivates).map((k) => k.kind),
    ['host', 'scheduler'],
  );
});

test('protocols reject malformed payloads and accept good ones', (t) => {
  const invalid = (kind: KindDefinition, type: string, payload: unknown) => {
    const error = kind.protocol.validate(type, payload);
    t.true(error instanceof ActorError, `${kind.kind}.${type} ${JSON.stringify(payload)}`);
    t.is(error?.code, 'invalid_message');
  };
  t.is(instanceKind.protocol.validate('create', newInstance), undefined);
  invalid(instanceKind, 'create', { ...newInstance, memory_mb: 0 });
  invalid(instanceKind, 'create', { ...newInstance, vcpus: 1.5 });
  invalid(instanceKind, 'create', { ...newInstance, display_name: '' });
  invalid(instanceKind, 'create', { ...newInstance, surprise: true });
  invalid(instanceKind, 'update', { display_name: 'x'.repeat(256) });
  invalid(instanceKind, 'spawned', { host: 'c1', node: 'c1', power_state: 8 });
  invalid(instanceKind, 'setState', { vm_state: 'error', task_state: null, power_state: 0 });
  invalid(instanceKind, 'rename', { display_name: 'x' });
  invalid(instanceKind, 'nonsense', {});
  invalid(instanceKind, 'get', { extra: 1 });
  t.is(networkKind.protocol.validate('create', { row: { id: '00000000-0000-4000-8000-000000000001', project_id: 'p', name: '' } }), undefined);
  invalid(networkKind, 'create', { row: { id: 'not-a-uuid', project_id: 'p' } });
  invalid(networkKind, 'deleteSubnet', { id: '00000000-0000-4000-8000-000000000001', extra: 1 });
  invalid(routerKind, 'addInterface', { subnet_id: '00000000-0000-4000-8000-000000000001', port_id: '00000000-0000-4000-8000-000000000001' });
  invalid(volumeKind, 'create', { project_id: 'p', name: 'v', size_gb: 0 });
  invalid(hostKind, 'register', {
    availability_zone: 'nova',
    hypervisor_type: 'QEMU',
    libvirt_uri: 'qemu:///system',
    vcpus: 1,
    memory_mb: 1,
    local_gb: 0,
    cpu_allocation_ratio: 0,
    ram_allocation_ratio: 1,
    disk_allocation_ratio: 1,
  });
  invalid(hostKind, 'setUsage', { vcpus_used: -1, memory_mb_used: 0, local_gb_used: 0, running_vms: 0 });
  const open = {
    instance_uuid: UUID,
    protocol: 'spice',
    console_type: 'spice-html5',
    host: 'c1',
    port: 5901,
    expires_at: 1,
    node: 'n1',
    token_id: 't',
  };
  const console = consoleKind({ session: () => undefined });
  t.is(console.protocol.validate('open', open), undefined);
  invalid(console, 'open', { ...open, protocol: 'rdp' });
  invalid(console, 'open', { ...open, port: 65536 });
  invalid(console, 'close', { reason: 'operator', bytes_to_guest: -1 });
  t.is(schedulerKind.protocol.validate('heartbeat', { sent_at: T0 }), undefined);
  invalid(schedulerKind, 'select', { instance_uuid: UUID, vcpus: 1, memory_mb: 1, disk_gb: 0, availability_zone: null, tried: [], attempt: 0 });
});

test('policyFrom copies the supervision settings and refuses nonsense', (t) => {
  const settings = { maxRestarts: 5, withinMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 30_000, maxMessageAttempts: 3, extra: 1 };
  t.deepEqual(policyFrom(settings), { maxRestarts: 5, withinMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 30_000, maxMessageAttempts: 3 });
  t.throws(() => policyFrom({ ...settings, maxMessageAttempts: 0 }));
  t.throws(() => policyFrom({ ...settings, backoffMaxMs: 10 }));
  t.throws(() => policyFrom({ ...settings, withinMs: Number.NaN }));
});

// The sagas' deadlines: a stuck claim or order cannot be caused for real without a lost message, so their
// checks run here on a server in each state, with the messages they send captured.
const capturing = (now: number) => {
  const sent: Array<{ to: string; type: string; payload: any; delayMs?: number }> = [];
  const c: HandlerContext = {
    ...ctx('instance', UUID, now),
    send: (to, type, payload, o) => {
      sent.push({ to: `${to.kind}/${to.id}`, type, payload, delayMs: o?.delayMs });
    },
  };
  return { c, sent };
};

// Each check is delivered at its deadline (the runtime keeps a delayed message's due time across restarts).
test('a build still under way at its deadline goes to ERROR with Nova’s fault; one built meanwhile is left alone', (t) => {
  const building = createdInstance();
  const late = capturing(T0 + 5_000);
  t.like(run(i.buildCheck(building, { deadline: T0 + 5_000 }, late.c)).state, {
    vm_state: 'error',
    task_state: null,
    fault_code: 500,
    fault_message: 'Instance build timed out. Set to error state.',
  });
  const active = { ...building, vm_state: 'active', task_state: null };
  t.is(run(i.buildCheck(active, { deadline: T0 + 5_000 }, capturing(T0 + 9_000).c)).state, undefined);
  // The host that builds it after all is told to give the guest back.
  const failed = run(i.buildCheck(building, { deadline: T0 + 5_000 }, late.c)).state as InstanceRow;
  const spawned = capturing(T0 + 6_000);
  t.is(run(i.spawned(failed, { host: 'compute-1', node: 'compute-1', power_state: 1 }, spawned.c)).state, undefined);
  t.like(spawned.sent[0], { to: 'host/compute-1', type: 'release', payload: { instance_uuid: UUID } });
});

test('a power action not reported by its deadline has its task cleared with a fault; a reported one is left alone', (t) => {
  const stopping = {
    ...createdInstance(),
    vm_state: 'active',
    task_state: 'powering-off',
    power_state: 1,
    host: 'compute-1',
    launched_at: new Date(T0),
  };
  const order = { op: 'stop' as const, request_id: 'req-1', deadline: T0 + 600_000 };
  const late = run(i.powerCheck(stopping, order, capturing(T0 + 600_000).c)).state as InstanceRow;
  t.like(late, { vm_state: 'active', task_state: null, power_state: 1, fault_code: 500 });
  t.regex(late.fault_message!, /Timed out waiting for compute host compute-1 to stop instance/);
  t.is(run(i.powerCheck({ ...stopping, task_state: null, vm_state: 'stopped' }, order, capturing(T0 + 600_000).c)).state, undefined);
  // A suspend that never came back leaves the server in ERROR, as a failed one does.
  const suspending = { ...stopping, task_state: 'suspending' };
  t.like(run(i.powerCheck(suspending, { ...order, op: 'suspend' }, capturing(T0 + 600_000).c)).state, { vm_state: 'error', task_state: null });
});

// The README's table of kinds (movable or pinned) is this: keep them together.
test('placement: instances, schedulers and networks move between nodes of their roles; hosts, routers, volumes and consoles are pinned', (t) => {
  t.deepEqual(Object.fromEntries(kinds.map((k) => [k.kind, 'movable' in k.placement ? k.placement.roles : 'pinned'])), {
    instance: ['scheduler', 'compute'],
    host: 'pinned',
    network: ['network', 'api'],
    router: 'pinned',
    volume: 'pinned',
    scheduler: ['scheduler'],
    console: 'pinned',
  });
  t.true(mayActivate(instanceKind.placement, ['compute'], 'instance/x', []));
  t.false(mayActivate(instanceKind.placement, ['api', 'console'], 'instance/x', []));
  t.false(mayActivate(schedulerKind.placement, ['api', 'compute'], 'scheduler/n', []));
  t.true(mayActivate(hostKind.placement, ['compute'], 'host/compute-1', ['host/compute-1']));
  t.false(mayActivate(hostKind.placement, ['compute'], 'host/compute-2', ['host/compute-1']), 'a host lives only where its hypervisor is');
  t.true(mayActivate(routerKind.placement, ['network'], 'router/r1', [ROUTER_PIN]), 'every router on the node announcing router/*');
  t.false(mayActivate(routerKind.placement, ['api', 'compute'], 'router/r1', ['host/compute-1']));
  t.false(mayActivate(hostKind.placement, ['network'], 'host/compute-1', [ROUTER_PIN]), "a kind's wildcard covers that kind alone");
  const consoles = consoleKind({ session: () => undefined }).placement;
  t.true(mayActivate(consoles, ['console'], 'console/node-1:abc', ['console/node-1:*']), 'a console session on the node that named it');
  t.false(mayActivate(consoles, ['console'], 'console/node-2:abc', ['console/node-1:*']), 'another node’s session');
  t.false(mayActivate(consoles, ['console'], 'console/node-1x:abc', ['console/node-1:*']), 'a node whose name starts alike');
  const at = (nodeId: string, status: 'up' | 'down', pins: string[]) => ({
    nodeId,
    roles: ['network'],
    address: '',
    protocolVersion: 1,
    status,
    leaseExpiresAt: T0,
    startedAt: T0,
    incarnation: 'i',
    pins,
    load: { activations: 0, mailbox: 0 },
  });
  t.is(placeActor(routerKind.placement, 'router', 'r1', [at('net-b', 'up', [ROUTER_PIN]), at('net-a', 'up', [ROUTER_PIN])]), 'net-a');
  t.is(placeActor(routerKind.placement, 'router', 'r1', [at('net-b', 'up', [ROUTER_PIN]), at('net-a', 'down', [ROUTER_PIN])]), 'net-b');
  t.is(placeActor(routerKind.placement, 'router', 'r1', [at('c-1', 'up', ['host/c-1'])]), undefined, 'no network node: no router');
});

test('the single-node view: itself, owning what its roles and pins allow; a drain marks it draining; boots go to a scheduler node', async (t) => {
  let now = T0;
  const view = (roles: string[]) =>
    new SingleNodeView({
      nodeId: 'n1',
      roles,
      address: () => 'http://127.0.0.1:8780',
      startedAt: T0,
      now: () => now,
      leaseMs: 5_000,
      pins: () => (roles.includes('compute') ? ['host/c-1'] : []),
      load: () => ({ activations: 3, mailbox: 0 }),
      placementOf: (kind) => kinds.find((k) => k.kind === kind)?.placement,
    });
  const all = view(['api', 'scheduler', 'compute']);
  now += 1_000;
  t.like(all.nodes(), [{ nodeId: 'n1', status: 'up', leaseExpiresAt: T0 + 6_000, startedAt: T0, pins: ['host/c-1'], protocolVersion: 1 }]);
  t.is(all.ownerOf('instance', 'i'), 'n1');
  t.is(all.ownerOf('host', 'c-1'), 'n1');
  t.is(all.ownerOf('host', 'c-2'), undefined);
  t.is(all.ownerOf('nonsense', 'x'), undefined);
  t.is(nodeWithRole(all, 'scheduler', 'any'), 'n1');
  const api = view(['api']);
  t.is(api.ownerOf('instance', 'i'), undefined);
  t.is(api.ownerOf('scheduler', 'n1'), undefined);
  t.is(nodeWithRole(api, 'scheduler', 'any'), undefined, 'no scheduler node: the caller falls back');

  const seen: string[] = [];
  all.onChange((nodes) => seen.push(nodes[0].status));
  await all.drain('n1');
  await all.drain('n1');
  t.deepEqual(seen, ['draining']);
  t.is(all.ownerOf('instance', 'i'), 'n1', 'alone, a draining node keeps its actors: there is nowhere to hand them');
  t.is(nodeWithRole(all, 'scheduler', 'any'), undefined);
  await t.throwsAsync(all.drain('n2'), { message: "no node 'n2' in this cluster" });
});

test('boots from a node without the scheduler role go to live scheduler nodes, spread by key and the same on every node', (t) => {
  const info = (nodeId: string, roles: string[], status: 'up' | 'down' | 'draining') =>
    ({
      nodeId,
      roles,
      status,
      address: '',
      protocolVersion: 1,
      leaseExpiresAt: T0,
      startedAt: T0,
      incarnation: nodeId,
      pins: [],
      load: { activations: 0, mailbox: 0 },
    }) as const;
  const nodes = [
    info('api-1', ['api'], 'up'),
    info('s-1', ['scheduler'], 'up'),
    info('s-2', ['scheduler', 'compute'], 'up'),
    info('s-3', ['scheduler'], 'down'),
    info('s-4', ['scheduler'], 'draining'),
  ];
  const from = (self: string) => ({ self, nodes: () => nodes, ownerOf: () => undefined, drain: () => Promise.resolve(), onChange: () => () => {} });
  const picks = Array.from({ length: 200 }, (_, i) => nodeWithRole(from('api-1'), 'scheduler', `uuid-${i}`));
  t.deepEqual([...new Set(picks)].sort(), ['s-1', 's-2'], 'only live scheduler nodes, both used');
  t.deepEqual(
    Array.from({ length: 200 }, (_, i) => nodeWithRole(from('compute-9'), 'scheduler', `uuid-${i}`)),
    picks,
  );
  t.is(nodeWithRole(from('s-2'), 'scheduler', 'uuid-1'), 's-2', 'a scheduler node schedules its own boots');
});

test('the placed gateway refuses a movable actor no live node may hold, and lets pinned ones through', async (t) => {
  const asked: string[] = [];
  const gateway = { ask: (to: { kind: string; id: string }) => (asked.push(`${to.kind}/${to.id}`), Promise.resolve('ok')) };
  const view = { self: 'api-1', nodes: () => [], ownerOf: () => undefined, drain: () => Promise.resolve(), onChange: () => () => {} };
  const placed = placedGateway(gateway as never, view, (kind) => kind === 'instance' || kind === 'scheduler');
  const error = await t.throwsAsync(placed.ask({ kind: 'instance', id: 'i-1' }, 'create', {}), { instanceOf: ActorError });
  t.deepEqual(error?.toBody(), { code: 'unavailable', message: 'no live node can run instance i-1 now' });
  t.is(await placed.ask({ kind: 'host', id: 'ghost' }, 'deregister', {}), 'ok');
  t.deepEqual(asked, ['host/ghost']);
});
