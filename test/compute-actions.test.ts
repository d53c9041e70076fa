import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock } from '../runtime/clock.js';
import { ref } from '../runtime/ref.js';
import { registration } from '../bin/hypervisors.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { boot, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { drive, eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';

// Power actions, locks and instance actions through the Compute API on real simulated hypervisors.
// compute-2 (zone "stubborn") has guests that ignore shutdown requests (a test-only fault: the test
// driver's guests always obey), so its stops wait out the clean-shutdown time on the simulated clock.
const clock = new SimulatedClock(Date.UTC(2026, 10, 25, 12));
let c: ComputeCloud;
let reader: string;

const CLEAN_SHUTDOWN_MS = 60_000;
const SOFT_REBOOT_MS = 30_000;

test.before(async () => {
  c = await startComputeCloud(
    'compute-actions',
    {
      libvirt: {
        hosts: [
          { name: 'compute-1', memoryMb: 8192 },
          { name: 'compute-2', availabilityZone: 'stubborn', memoryMb: 8192 },
        ],
      },
      faults: { ignoreShutdownHosts: ['compute-2'] },
      timeouts: { cleanShutdownMs: CLEAN_SHUTDOWN_MS, softRebootMs: SOFT_REBOOT_MS },
    },
    clock,
  );
  // A user with only the reader role on the demo project.
  const roles = (await c.keystone.call('GET', '/v3/roles', { token: c.admin })).body.roles as Array<{ id: string; name: string }>;
  const demo = (await c.keystone.call('GET', '/v3/projects?name=demo', { token: c.admin })).body.projects[0];
  const user = (
    await c.keystone.call('POST', '/v3/users', {
      token: c.admin,
      body: { user: { name: 'watcher', password: 'watcher-secret', domain_id: 'default' } },
    })
  ).body.user;
  await c.keystone.call('PUT', `/v3/projects/${demo.id}/users/${user.id}/roles/${roles.find((r) => r.name === 'reader')!.id}`, { token: c.admin });
  reader = (await c.keystone.login('watcher', 'watcher-secret', 'demo')).token!;
});
test.after.always(async () => {
  await c?.stop();
});

const at = (version?: string): Record<string, string> => (version ? { 'OpenStack-API-Version': `compute ${version}` } : {});
const act = (token: string, id: string, body: unknown, version?: string) =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: at(version) });
const show = async (id: string, version = '2.93', token = c.admin) =>
  (await c.nova.call('GET', `/v2.1/servers/${id}`, { token, headers: at(version) })).body.server;
const actions = (id: string, version?: string, token = c.admin, query = '') =>
  c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions${query}`, { token, headers: at(version) });
const actionOf = (id: string, requestId: string, version?: string, token = c.admin) =>
  c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token, headers: at(version) });
const conflict = (message: string) => ({ conflictingRequest: { code: 409, message } });

/** Waits (in real time, bounded) until the server shows what `done` looks for; answers it. */
async function until(id: string, done: (s: any) => boolean): Promise<any> {
  let server: any;
  try {
    await eventually(async () => done((server = await show(id))), 30_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${JSON.stringify(server)}`);
  }
  return server;
}
const settledIn = (id: string, status: string) => until(id, (s) => s.status === status && s['OS-EXT-STS:task_state'] === null);

/** A server ACTIVE on compute-1 (zone nova) unless told otherwise. */
async function active(name: string, token = c.admin, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await boot(c.nova, token, name, { availability_zone: 'nova', ...extra });
  if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
  await settledIn(r.body.server.id, 'ACTIVE');
  return r.body.server.id;
}

const hostUri = (host: string) => c.cloud.hosts.find((h) => h.name === host)!.uri;
async function domain(id: string) {
  const server = await show(id);
  const connection = new LibvirtConnection(hostUri(server['OS-EXT-SRV-ATTR:host']));
  try {
    return await connection.status(id);
  } finally {
    await connection.close();
  }
}

test.serial('stop and start: SHUTOFF with power state 4 and the domain shut off, then ACTIVE and running again', async (t) => {
  const id = await active('stopper');
  const stop = await act(c.admin, id, { 'os-stop': null });
  t.is(stop.status, 202);
  t.is(stop.body, undefined, 'an empty body, as Nova answers');
  const stopped = await settledIn(id, 'SHUTOFF');
  t.like(stopped, { 'OS-EXT-STS:vm_state': 'stopped', 'OS-EXT-STS:power_state': 4 });
  t.like(await domain(id), { powerState: 4, id: null });
  t.is((await act(c.admin, id, { 'os-start': null })).status, 202);
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-STS:vm_state': 'active', 'OS-EXT-STS:power_state': 1 });
  t.is((await domain(id))?.powerState, 1);
});

test.serial('reboot SOFT and HARD start the guest again; a hard reboot of a stopped server starts it', async (t) => {
  const id = await active('rebooter');
  const before = (await domain(id))!.id;
  t.is((await act(c.admin, id, { reboot: { type: 'SOFT' } })).status, 202);
  await settledIn(id, 'ACTIVE');
  const soft = (await domain(id))!.id;
  t.not(soft, before, 'the domain ran again under a new id');
  t.is((await act(c.admin, id, { reboot: { type: 'hard' } })).status, 202);
  await settledIn(id, 'ACTIVE');
  t.not((await domain(id))!.id, soft);
  await act(c.admin, id, { 'os-stop': null });
  await settledIn(id, 'SHUTOFF');
  t.is((await act(c.admin, id, { reboot: { type: 'HARD' } })).status, 202, 'Nova allows a hard reboot from stopped');
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-STS:power_state': 1 });
});

test.serial('pause and unpause; suspend (memory saved to a file under the state dir) and resume', async (t) => {
  const id = await active('pauser');
  t.is((await act(c.admin, id, { pause: null })).status, 202);
  t.like(await settledIn(id, 'PAUSED'), { 'OS-EXT-STS:vm_state': 'paused', 'OS-EXT-STS:power_state': 3 });
  t.is((await domain(id))?.powerState, 3);
  t.is((await act(c.admin, id, { unpause: null })).status, 202);
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-STS:power_state': 1 });

  const host = (await show(id))['OS-EXT-SRV-ATTR:host'];
  const saved = join(c.config.stateDir, 'saved', host, `${id}.save`);
  t.is((await act(c.admin, id, { suspend: null })).status, 202);
  t.like(await settledIn(id, 'SUSPENDED'), { 'OS-EXT-STS:vm_state': 'suspended', 'OS-EXT-STS:power_state': 4 });
  t.like(await domain(id), { powerState: 4, id: null });
  t.true(existsSync(saved), 'the guest’s memory is saved');
  t.is((await act(c.admin, id, { resume: null })).status, 202);
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-STS:power_state': 1 });
  t.is((await domain(id))?.powerState, 1);
  t.false(existsSync(saved), 'the saved memory is dropped once restored');
});

test.serial('an action the server’s state does not allow is 409 in Nova’s words', async (t) => {
  const id = await active('picky');
  const refused = async (body: unknown, message: string) => {
    const r = await act(c.admin, id, body);
    t.is(r.status, 409, JSON.stringify(body));
    t.deepEqual(r.body, conflict(message));
  };
  await refused({ 'os-start': null }, `Cannot 'start' instance ${id} while it is in vm_state active`);
  await refused({ unpause: null }, `Cannot 'unpause' instance ${id} while it is in vm_state active`);
  await refused({ resume: null }, `Cannot 'resume' instance ${id} while it is in vm_state active`);
  await act(c.admin, id, { pause: null });
  await settledIn(id, 'PAUSED');
  await refused({ suspend: null }, `Cannot 'suspend' instance ${id} while it is in vm_state paused`);
  await refused({ 'os-stop': null }, `Cannot 'stop' instance ${id} while it is in vm_state paused`);
  await refused({ reboot: { type: 'SOFT' } }, `Cannot 'reboot' instance ${id} while it is in vm_state paused`);
  await refused({ pause: null }, `Cannot 'pause' instance ${id} while it is in vm_state paused`);
  await act(c.admin, id, { unpause: null });
  await settledIn(id, 'ACTIVE');
  await act(c.admin, id, { 'os-stop': null });
  await settledIn(id, 'SHUTOFF');
  await refused({ 'os-stop': null }, `Cannot 'stop' instance ${id} while it is in vm_state stopped`);
  await refused({ pause: null }, `Cannot 'pause' instance ${id} while it is in vm_state stopped`);
  await refused({ reboot: { type: 'SOFT' } }, `Cannot 'reboot' instance ${id} while it is in vm_state stopped`);

  // A server that never launched (no host could take it) is not ready to stop, and has no launch to reboot.
  const big = await boot(c.nova, c.admin, 'too-big', { flavorRef: '5' });
  await settledIn(big.body.server.id, 'ERROR');
  const notReady = await act(c.admin, big.body.server.id, { 'os-stop': null });
  t.deepEqual(notReady.body, conflict(`Instance ${big.body.server.id} is not ready`));
  const unlaunched = await act(c.admin, big.body.server.id, { reboot: { type: 'HARD' } });
  t.deepEqual(unlaunched.body, conflict(`Cannot 'reboot' instance ${big.body.server.id} while it is in launched_at None`));
  const rows = await c.cloud.db.models.InstanceAction.count({ where: { instance_uuid: id } });
  t.is(rows, 4, 'create, pause, unpause and stop: a refused action is not recorded');
});

test.serial('a stop waits for a guest that ignores it for cleanShutdownMs on the clock, then destroys it', async (t) => {
  const id = await active('stubborn', c.admin, { availability_zone: 'stubborn' });
  t.is((await show(id))['OS-EXT-SRV-ATTR:host'], 'compute-2');
  const r = await act(c.admin, id, { 'os-stop': null });
  t.is(r.status, 202);
  const requestId = r.headers.get('x-openstack-request-id')!;
  await drive(clock, new Promise((done) => setTimeout(done, 200)), 1_000, CLEAN_SHUTDOWN_MS / 2);
  const waiting = await show(id);
  t.like(waiting, { status: 'ACTIVE', 'OS-EXT-STS:task_state': 'powering-off', 'OS-EXT-STS:power_state': 1 });
  t.is((await domain(id))?.powerState, 1, 'the guest still runs halfway through');
  const second = await act(c.admin, id, { 'os-stop': null });
  t.deepEqual(second.body, conflict(`Cannot 'stop' instance ${id} while it is in task_state powering-off`));
  const hard = await act(c.admin, id, { reboot: { type: 'HARD' } });
  t.deepEqual(hard.body, conflict(`Cannot 'reboot' instance ${id} while it is in task_state powering-off`));

  await drive(clock, settledIn(id, 'SHUTOFF'), 1_000);
  t.like(await domain(id), { powerState: 4 });
  const action = (await actionOf(id, requestId)).body.instanceAction;
  const [event] = action.events;
  t.like(event, { event: 'compute_stop_instance', result: 'Success' });
  // An event's start is stamped at least 1 ms after the row's last change (stampOf keeps stamps ordered), so on a clock
  // that has not moved since the boot it reads 1 ms later than the moment the host began to wait.
  const waited = Date.parse(`${event.finish_time}Z`) - Date.parse(`${event.start_time}Z`);
  t.true(waited >= CLEAN_SHUTDOWN_MS - 1, `${event.start_time} → ${event.finish_time}`);
});

test.serial('a soft reboot of a guest that ignores it is reboot_started, then becomes a hard reboot after softRebootMs', async (t) => {
  const id = await active('stubborn-reboot', c.admin, { availability_zone: 'stubborn' });
  const before = (await domain(id))!.id;
  t.is((await act(c.admin, id, { reboot: { type: 'SOFT' } })).status, 202);
  const waiting = await until(id, (s) => s['OS-EXT-STS:task_state'] === 'reboot_started');
  t.is(waiting.status, 'REBOOT');
  await drive(clock, settledIn(id, 'ACTIVE'), 1_000);
  t.not((await domain(id))!.id, before);
});

test.serial('deleting a server whose stop is waiting on its guest leaves neither server nor domain', async (t) => {
  const id = await active('stubborn-delete', c.admin, { availability_zone: 'stubborn' });
  await act(c.admin, id, { 'os-stop': null });
  await until(id, (s) => s['OS-EXT-STS:task_state'] === 'powering-off');
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin })).status, 204);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).status === 404, 30_000);
  await drive(clock, new Promise((done) => setTimeout(done, 300)), 2_000, CLEAN_SHUTDOWN_MS * 2);
  const connection = new LibvirtConnection(hostUri('compute-2'));
  try {
    t.is(await connection.status(id), undefined, 'the pending shutdown did not bring the domain back');
  } finally {
    await connection.close();
  }
  const list = await actions(id, '2.21');
  t.deepEqual(
    list.body.instanceActions.map((a: any) => a.action),
    ['delete', 'stop', 'create'],
  );
});

test.serial('lock with a reason (2.73), refused to others but admins; an owner cannot undo an admin’s lock', async (t) => {
  const id = await active('lockable', c.demo);
  const lock = await act(c.demo, id, { lock: { locked_reason: 'maintenance' } }, '2.73');
  t.is(lock.status, 202);
  t.like(await show(id, '2.73', c.demo), { locked: true, locked_reason: 'maintenance' });
  t.false('locked_reason' in (await show(id, '2.72', c.demo)));
  t.false('locked' in (await show(id, '2.8', c.demo)));
  for (const body of [{ 'os-stop': null }, { reboot: { type: 'HARD' } }, { pause: null }, { suspend: null }]) {
    t.deepEqual((await act(c.demo, id, body)).body, conflict(`Instance ${id} is locked`), JSON.stringify(body));
  }
  novaRefused(t, await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo }), 409, `Instance ${id} is locked`);
  const owned = (await actions(id)).body.instanceActions.length;
  t.is((await act(c.demo, id, { lock: null }, '2.73')).status, 202, 'locking again is accepted');
  t.is((await actions(id)).body.instanceActions.length, owned, 'and records nothing, as Nova’s owner relock');

  t.is((await act(c.admin, id, { pause: null })).status, 202, 'an admin acts on a locked server');
  await settledIn(id, 'PAUSED');
  t.is((await act(c.admin, id, { unpause: null })).status, 202);
  await settledIn(id, 'ACTIVE');

  t.is((await act(c.demo, id, { unlock: null })).status, 202);
  t.like(await show(id, '2.73', c.demo), { locked: false, locked_reason: null });
  t.is((await act(c.admin, id, { lock: null })).status, 202, 'an admin of another project locks it');
  const undo = await act(c.demo, id, { unlock: null });
  t.deepEqual(undo.body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed." },
  });
  t.is((await act(c.admin, id, { unlock: null })).status, 202);
  t.false((await show(id, '2.9', c.demo)).locked);

  const tooShort = await act(c.demo, id, { lock: { locked_reason: '' } }, '2.73');
  t.deepEqual(tooShort.body, { badRequest: { code: 400, message: "Invalid input for field/attribute locked_reason. Value: . '' is too short" } });
  const extra = await act(c.demo, id, { lock: { why: 'x' } }, '2.73');
  t.regex(extra.body.badRequest.message, /Additional properties are not allowed \('why' was unexpected\)/);
  t.is((await act(c.demo, id, { lock: { why: 'x' } }, '2.72')).status, 202, 'before 2.73 the lock body is not looked at');
  t.like(await show(id, '2.73', c.demo), { locked: true, locked_reason: null });
  await act(c.demo, id, { unlock: null });
  t.is((await act(c.demo, id, { lock: { locked_reason: 'ignored' } }, '2.72')).status, 202);
  t.like(await show(id, '2.73', c.demo), { locked: true, locked_reason: null }, 'a reason sent below 2.73 is not recorded');
  await act(c.demo, id, { unlock: null });
});

test.serial('a reader is refused every action (403); another project’s server is 404; bad bodies are 400', async (t) => {
  const id = await active('guarded', c.demo);
  const policies: Record<string, string> = {
    'os-stop': 'servers:stop',
    'os-start': 'servers:start',
    reboot: 'servers:reboot',
    pause: 'os-pause-server:pause',
    unpause: 'os-pause-server:unpause',
    suspend: 'os-suspend-server:suspend',
    resume: 'os-suspend-server:resume',
    lock: 'os-lock-server:lock',
    unlock: 'os-lock-server:unlock',
  };
  for (const [name, rule] of Object.entries(policies)) {
    const r = await act(reader, id, { [name]: name === 'reboot' ? { type: 'SOFT' } : null });
    t.deepEqual(r.body, { forbidden: { code: 403, message: `Policy doesn't allow os_compute_api:${rule} to be performed.` } }, name);
  }
  t.is((await actions(id, undefined, reader)).status, 200, 'a reader reads the actions');

  const admins = await active('not-yours');
  const stolen = await act(c.demo, admins, { 'os-stop': null });
  t.deepEqual(stolen.body, { itemNotFound: { code: 404, message: `Instance ${admins} could not be found.` } });
  novaRefused(t, await actions(admins, undefined, c.demo), 404, `Instance ${admins} could not be found.`);
  novaRefused(
    t,
    await act(c.admin, '00000000-0000-4000-8000-000000000000', { 'os-stop': null }),
    404,
    'Instance 00000000-0000-4000-8000-000000000000 could not be found.',
  );
  t.false(c.cloud.node.isActive(ref('instance', '00000000-0000-4000-8000-000000000000')), 'no actor is activated for a server that does not exist');

  const bad = async (body: unknown, message: string | RegExp) => {
    const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body });
    t.is(r.status, 400, JSON.stringify(body));
    if (typeof message === 'string') t.is(r.body.badRequest.message, message);
    else t.regex(r.body.badRequest.message, message);
  };
  await bad({ 'os-explode': null }, 'There is no such action: os-explode');
  await bad({ 'os-stop': null, 'os-start': null }, 'Malformed request body');
  await bad({}, 'Malformed request body');
  await bad('stop', 'Malformed request body');
  await bad(
    { reboot: { type: 'GENTLE' } },
    `Invalid input for field/attribute type. Value: GENTLE. 'GENTLE' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`,
  );
  await bad({ reboot: {} }, "Invalid input for field/attribute reboot. Value: {}. 'type' is a required property");
  await bad({ reboot: { type: 'SOFT', force: true } }, /Additional properties are not allowed \('force' was unexpected\)/);
  await bad({ reboot: null }, /is not of type 'object'/);
  t.is((await show(id, '2.93', c.demo)).status, 'ACTIVE', 'nothing refused changed the server');
});

test.serial('instance actions: list newest first, show with events by role and version, 2.58 pages, deleted servers from 2.21', async (t) => {
  const id = await active('history', c.demo);
  const requests: string[] = [];
  for (const [body, status] of [
    [{ 'os-stop': null }, 'SHUTOFF'],
    [{ 'os-start': null }, 'ACTIVE'],
    [{ reboot: { type: 'HARD' } }, 'ACTIVE'],
  ] as const) {
    const r = await act(c.demo, id, body);
    requests.push(r.headers.get('x-openstack-request-id')!);
    await settledIn(id, status);
  }
  const old = await actions(id, '2.1', c.demo);
  t.deepEqual(
    old.body.instanceActions.map((a: any) => a.action),
    ['reboot', 'start', 'stop', 'create'],
  );
  t.deepEqual(Object.keys(old.body.instanceActions[0]).sort(), [
    'action',
    'instance_uuid',
    'message',
    'project_id',
    'request_id',
    'start_time',
    'user_id',
  ]);
  t.like(old.body.instanceActions[0], { instance_uuid: id, request_id: requests[2], message: null });
  t.regex(old.body.instanceActions[0].start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  t.falsy(old.body.links);

  // Events: none for a non-admin before 2.51; from then without the traceback; the host for admins from 2.62.
  const stop = requests[0];
  t.false('events' in (await actionOf(id, stop, '2.50', c.demo)).body.instanceAction);
  const [mine] = (await actionOf(id, stop, '2.51', c.demo)).body.instanceAction.events;
  t.deepEqual(Object.keys(mine).sort(), ['event', 'finish_time', 'result', 'start_time']);
  t.like(mine, { event: 'compute_stop_instance', result: 'Success' });
  const [admin21] = (await actionOf(id, stop, '2.1')).body.instanceAction.events;
  t.deepEqual(Object.keys(admin21).sort(), ['event', 'finish_time', 'result', 'start_time', 'traceback']);
  const member62 = (await actionOf(id, stop, '2.62', c.demo)).body.instanceAction;
  t.regex(member62.events[0].hostId, /^[0-9a-f]{56}$/);
  t.false('host' in member62.events[0]);
  t.truthy(member62.updated_at);
  const admin84 = (await actionOf(id, stop, '2.84')).body.instanceAction.events[0];
  t.like(admin84, { host: 'compute-1', traceback: null, details: null });
  t.false('details' in (await actionOf(id, stop, '2.84', c.demo)).body.instanceAction.events[0]);
  const created = (await actionOf(id, old.body.instanceActions[3].request_id, '2.84')).body.instanceAction;
  t.deepEqual(
    created.events.map((e: any) => [e.event, e.result]),
    [['compute__do_build_and_run_instance', 'Success']],
  );
  t.deepEqual((await actionOf(id, 'req-00000000-0000-4000-8000-000000000000')).body, {
    itemNotFound: { code: 404, message: 'Action req-00000000-0000-4000-8000-000000000000 not found' },
  });

  // 2.58: pages by limit and marker, a next link when a page is full, changes-since; changes-before from 2.66.
  const first = await actions(id, '2.58', c.demo, '?limit=2');
  t.deepEqual(
    first.body.instanceActions.map((a: any) => a.action),
    ['reboot', 'start'],
  );
  t.truthy(first.body.instanceActions[0].updated_at);
  const next = new URL(first.body.links[0].href);
  t.is(first.body.links[0].rel, 'next');
  t.is(next.searchParams.get('marker'), requests[1]);
  const second = await actions(id, '2.58', c.demo, next.search);
  t.deepEqual(
    second.body.instanceActions.map((a: any) => a.action),
    ['stop', 'create'],
  );
  const last = await actions(id, '2.58', c.demo, `?limit=2&marker=${old.body.instanceActions[3].request_id}`);
  t.deepEqual(last.body, { instanceActions: [] });
  t.deepEqual((await actions(id, '2.58', c.demo, '?marker=req-nope')).body, {
    badRequest: { code: 400, message: 'Marker None could not be found.' },
  });
  novaRefused(
    t,
    await actions(id, '2.58', c.demo, '?limit=-1'),
    400,
    "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
  );
  t.regex(
    (await actions(id, '2.58', c.demo, '?changes-before=2026-01-01T00:00:00Z')).body.badRequest.message,
    /Additional properties are not allowed/,
  );
  t.is((await actions(id, '2.66', c.demo, '?changes-before=2020-01-01T00:00:00Z')).body.instanceActions.length, 0);
  const since = encodeURIComponent(new Date(clock.now() + 3_600_000).toISOString());
  t.deepEqual((await actions(id, '2.58', c.demo, `?changes-since=${since}`)).body.instanceActions, []);
  t.is(
    (await actions(id, '2.66', c.demo, `?changes-since=${since}&changes-before=2020-01-01T00:00:00Z`)).body.badRequest.message,
    'The value of changes-since must be less than or equal to changes-before.',
  );

  t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo })).status, 204);
  await eventually(async () => (await actions(id, '2.20', c.demo)).status === 404, 30_000);
  const afterwards = await actions(id, '2.21', c.demo);
  t.deepEqual(
    afterwards.body.instanceActions.map((a: any) => a.action),
    ['delete', 'reboot', 'start', 'stop', 'create'],
  );
  const deletion = (await actionOf(id, afterwards.body.instanceActions[0].request_id, '2.21')).body.instanceAction;
  t.deepEqual(
    deletion.events.map((e: any) => [e.event, e.result]),
    [['compute_terminate_instance', 'Success']],
  );
});

test.serial('a power operation that fails on the host is an Error event; the server stays as it was, its action marked Error', async (t) => {
  const id = await active('vanishing', c.demo);
  // The domain is removed behind Stratus's back: the host's pause finds nothing to pause.
  const connection = new LibvirtConnection(hostUri((await show(id))['OS-EXT-SRV-ATTR:host']));
  try {
    await connection.remove(id);
  } finally {
    await connection.close();
  }
  const r = await act(c.demo, id, { pause: null });
  t.is(r.status, 202);
  const after = await until(id, (s) => s['OS-EXT-STS:task_state'] === null);
  t.like(after, { status: 'ACTIVE', 'OS-EXT-STS:vm_state': 'active', 'OS-EXT-STS:power_state': 0 });
  const action = (await actionOf(id, r.headers.get('x-openstack-request-id')!, '2.84')).body.instanceAction;
  t.is(action.message, 'Error');
  t.like(action.events[0], { event: 'compute_pause_instance', result: 'Error' });
  t.regex(action.events[0].details, /Domain not found/);
  t.regex(action.events[0].traceback, /Domain not found/);
  t.false('traceback' in (await actionOf(id, r.headers.get('x-openstack-request-id')!, '2.84', c.demo)).body.instanceAction);
  // A hard reboot brings it back: the domain is defined and started afresh.
  t.is((await act(c.admin, id, { reboot: { type: 'HARD' } })).status, 202);
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-STS:power_state': 1 });
});

test.serial(
  'a host re-registering keeps stopped, paused and suspended servers as they are; after a hypervisor restart it starts only running ones',
  async (t) => {
    const ids = {
      running: await active('r-running'),
      stopped: await active('r-stopped'),
      paused: await active('r-paused'),
      suspended: await active('r-suspended'),
    };
    await act(c.admin, ids.stopped, { 'os-stop': null });
    await act(c.admin, ids.paused, { pause: null });
    await act(c.admin, ids.suspended, { suspend: null });
    await settledIn(ids.stopped, 'SHUTOFF');
    await settledIn(ids.paused, 'PAUSED');
    await settledIn(ids.suspended, 'SUSPENDED');
    const plan = c.cloud.hosts.find((h) => h.name === 'compute-1')!;
    for (const id of Object.values(ids)) t.is((await show(id))['OS-EXT-SRV-ATTR:host'], 'compute-1');

    await c.cloud.node.ask(ref('host', plan.name), 'register', registration(plan));
    t.like(await show(ids.stopped), { status: 'SHUTOFF', 'OS-EXT-STS:power_state': 4 });
    t.like(await show(ids.paused), { status: 'PAUSED', 'OS-EXT-STS:power_state': 3 });
    t.like(await show(ids.suspended), { status: 'SUSPENDED', 'OS-EXT-STS:power_state': 4 });
    t.is((await domain(ids.paused))?.powerState, 3);

    // The hypervisor "restarted": its domains are gone and its boot id is new.
    const connection = new LibvirtConnection(plan.uri);
    try {
      for (const id of Object.values(ids)) await connection.remove(id);
      const result = await c.cloud.node.ask<{ resumed: number; redefined: number }>(
        ref('host', plan.name),
        'register',
        registration({ ...plan, bootId: 'after-a-restart' }),
      );
      t.true(result.resumed >= 1 && result.redefined >= 3, JSON.stringify(result));
      t.is((await connection.status(ids.running))?.powerState, 1, 'a running server is started again');
      t.like(await connection.status(ids.stopped), { powerState: 4, id: null }, 'a stopped one is defined, not started');
      t.like(await connection.status(ids.suspended), { powerState: 4, id: null });
    } finally {
      await connection.close();
    }
    t.like(await show(ids.stopped), { status: 'SHUTOFF' });
    t.is((await act(c.admin, ids.stopped, { 'os-start': null })).status, 202);
    await settledIn(ids.stopped, 'ACTIVE');
    t.is((await act(c.admin, ids.suspended, { resume: null })).status, 202);
    await settledIn(ids.suspended, 'ACTIVE');
    t.is((await domain(ids.suspended))?.powerState, 1, 'resumed from the memory it saved');
  },
);
