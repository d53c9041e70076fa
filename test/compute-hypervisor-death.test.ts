import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock } from '../runtime/clock.js';
import { ref } from '../runtime/ref.js';
import { ensureSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { at, boot, bootActive, domainsOf, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// A simulated hypervisor's daemon killed for real (kill -9 of its libvirtd) under a running cloud,
// with stop, start and delete issued while it is dead; then the daemon brought back (as a node's
// start would: a new daemon, whose test driver has forgotten every domain). Actor time runs on a
// simulated clock; the daemon and the database run in real time.
const clock = new SimulatedClock(Date.UTC(2026, 11, 6, 9));
let c: ComputeCloud;
let dir: string;
let uri: string;

const REPORT_MS = 1_000;
const RETRY_MS = 500;
const WAIT_MS = 30_000;

test.before(async () => {
  c = await startComputeCloud(
    'hypervisor-death',
    {
      libvirt: { hosts: [{ name: 'compute-1', memoryMb: 8192 }] },
      timeouts: { reportIntervalMs: REPORT_MS, serviceDownMs: 5_000, hypervisorRetryMs: RETRY_MS, hypervisorWaitMs: WAIT_MS, actionMs: 600_000 },
    },
    clock,
  );
  dir = c.cloud.hosts[0].simulatedDir!;
  uri = c.cloud.hosts[0].uri;
});
test.after.always(async () => {
  await c?.stop();
});

const show = async (id: string) => await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') });
const act = (id: string, body: unknown) => c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.admin, body });
const del = (id: string) => c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin });
const service = async () => (await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.admin })).body.services[0];
const hostRow = async () => (await c.cloud.db.models.Host.findByPk('compute-1', { raw: true })) as unknown as { status: string; last_seen_at: Date };
const summary = (s: any) => ({ status: s.status, task: s['OS-EXT-STS:task_state'], power: s['OS-EXT-STS:power_state'] });

/** Moves simulated time in small steps, letting the actors' delayed messages and their commits run, until `done` holds. */
async function advanceUntil(done: () => Promise<boolean>, limitMs = 120_000): Promise<void> {
  for (let elapsed = 0; ; elapsed += 250) {
    if (await done()) return;
    if (elapsed > limitMs) throw new Error(`not reached within ${limitMs} ms of simulated time`);
    await clock.advance(250);
    await new Promise((r) => setTimeout(r, 15));
  }
}

function killDaemon(): void {
  const [daemon] = readFileSync(join(dir, 'ready'), 'utf8').trim().split(' ').map(Number);
  process.kill(daemon, 'SIGKILL');
}

async function settle(id: string, status: string): Promise<any> {
  let last: any;
  await eventually(async () => {
    last = (await show(id)).body.server;
    return last.status === status && last['OS-EXT-STS:task_state'] === null;
  }, 30_000);
  return last;
}

test.serial('kill -9 of a host’s libvirtd: the service goes down at once, actions wait, and complete once the daemon is back', async (t) => {
  const stopped = await bootActive(c, c.admin, 'was-stopped', { availability_zone: 'nova' });
  t.is((await act(stopped, { 'os-stop': null })).status, 202);
  await settle(stopped, 'SHUTOFF');
  const toStop = await bootActive(c, c.admin, 'to-stop');
  const toDelete = await bootActive(c, c.admin, 'to-delete');
  const untouched = await bootActive(c, c.admin, 'untouched');
  const before = (await domainsOf([uri])).get(untouched)!;
  t.is(before.powerState, PowerState.RUNNING);

  killDaemon();
  // Each request is accepted as Nova accepts it; the host finds its hypervisor gone on the first call.
  t.is((await act(toStop, { 'os-stop': null })).status, 202);
  t.is((await del(toDelete)).status, 204);
  t.is((await act(stopped, { 'os-start': null })).status, 202);
  await advanceUntil(async () => (await service()).state === 'down', 5_000);
  t.like(await service(), { state: 'down', status: 'enabled', host: 'compute-1' });
  // A heartbeat delivered late, or sent while the daemon is dead, never makes the host look alive.
  const lastSeen = (await hostRow()).last_seen_at;
  c.cloud.node.tell(ref('host', 'compute-1'), 'heartbeat', { sent_at: new Date(lastSeen).getTime() - 1 });
  c.cloud.node.tell(ref('host', 'compute-1'), 'heartbeat', { sent_at: clock.now() });
  await c.cloud.node.ask(ref('host', 'compute-1'), 'get', {});
  t.like(await hostRow(), { status: 'down', last_seen_at: lastSeen });
  t.is((await service()).state, 'down');
  // Meanwhile every action is still under way, and none is said done.
  t.like(summary((await show(toStop)).body.server), { status: 'ACTIVE', task: 'powering-off' });
  t.like(summary((await show(toDelete)).body.server), { status: 'ACTIVE', task: 'deleting' });
  t.like(summary((await show(stopped)).body.server), { status: 'SHUTOFF', task: 'powering-on' });
  // A second delete is accepted and the server is still there being deleted (its release is pending, not lost).
  t.is((await del(toDelete)).status, 204);
  t.like(summary((await show(toDelete)).body.server), { task: 'deleting' });
  // The scheduler leaves the dead host out: a boot now finds no host.
  const orphan = await boot(c.nova, c.admin, 'no-host');
  t.is(orphan.status, 202);
  const failed = await settle(orphan.body.server.id, 'ERROR');
  t.like(failed.fault, { code: 500 });
  t.regex(failed.fault.message, /No valid host was found/);
  t.is((await del(orphan.body.server.id)).status, 204);

  // The daemon comes back (new boot: the test driver has forgotten every domain).
  await ensureSimulatedHypervisor(dir);
  await advanceUntil(
    async () =>
      (await service()).state === 'up' &&
      (await show(toDelete)).status === 404 &&
      (await show(toStop)).body.server['OS-EXT-STS:task_state'] === null &&
      (await show(stopped)).body.server['OS-EXT-STS:task_state'] === null,
  );

  t.like(summary((await show(toStop)).body.server), { status: 'SHUTOFF', task: null });
  t.like(summary((await show(stopped)).body.server), { status: 'ACTIVE', task: null, power: PowerState.RUNNING });
  t.like(summary((await show(untouched)).body.server), { status: 'ACTIVE', task: null, power: PowerState.RUNNING });
  const domains = await domainsOf([uri]);
  t.false(domains.has(toDelete), 'the deleted server’s guest is not brought back');
  t.is(domains.get(untouched)?.powerState, PowerState.RUNNING, 'a running server’s guest is started again on the new daemon');
  t.is(domains.get(stopped)?.powerState, PowerState.RUNNING);
  t.not(domains.get(toStop)?.powerState, PowerState.RUNNING);
  const hv = (await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin, headers: at('2.1') })).body.hypervisors[0];
  t.is(hv.running_vms, 3, 'the deleted server’s resources were freed once, the others kept');
  // Back up: a heartbeat from before the last one counted changes nothing.
  const seen = (await hostRow()).last_seen_at;
  c.cloud.node.tell(ref('host', 'compute-1'), 'heartbeat', { sent_at: new Date(seen).getTime() - 5_000 });
  await c.cloud.node.ask(ref('host', 'compute-1'), 'get', {});
  t.like(await hostRow(), { status: 'up', last_seen_at: seen });
  for (const id of [toStop, stopped, untouched]) t.is((await del(id)).status, 204);
});

test.serial('an action on a host whose daemon stays dead fails with a fault after hypervisorWaitMs; nothing is left in a task state', async (t) => {
  // The scheduler's picture of the hosts may be up to a second old (hostViewMaxAgeMs) on the node's clock, and the
  // last one it read had the host down: let simulated time pass it, as real time would, before booting.
  await clock.advance(2 * REPORT_MS);
  await advanceUntil(async () => (await service()).state === 'up');
  const booted = await boot(c.nova, c.admin, 'stranded');
  const server = booted.body.server.id as string;
  t.like(
    summary(
      await settle(server, 'ACTIVE').catch(async () => {
        t.log(JSON.stringify((await show(server)).body.server));
        throw new Error('x');
      }),
    ),
    { status: 'ACTIVE' },
  );
  killDaemon();
  t.is((await act(server, { 'os-stop': null })).status, 202);
  await advanceUntil(async () => (await show(server)).body.server['OS-EXT-STS:task_state'] === null, WAIT_MS + 10_000);
  t.like(summary((await show(server)).body.server), { status: 'ACTIVE', task: null });
  const request = (await c.nova.call('GET', `/v2.1/servers/${server}/os-instance-actions`, { token: c.admin })).body.instanceActions.find(
    (a: any) => a.action === 'stop',
  ).request_id;
  const action = (await c.nova.call('GET', `/v2.1/servers/${server}/os-instance-actions/${request}`, { token: c.admin, headers: at('2.84') })).body
    .instanceAction;
  t.is(action.message, 'Error');
  t.like(action.events[0], { event: 'compute_stop_instance', result: 'Error' });
  t.regex(action.events[0].details, /Compute host compute-1 could not reach its hypervisor/);
  t.is((await service()).state, 'down');

  // A delete meanwhile waits for the daemon, then completes.
  t.is((await del(server)).status, 204);
  await ensureSimulatedHypervisor(dir);
  await advanceUntil(async () => (await show(server)).status === 404 && (await service()).state === 'up');
  t.false((await domainsOf([uri])).has(server));
});
