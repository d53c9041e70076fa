import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { at, boot, bootActive, domainsOf, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// A server can be deleted whatever task is under way, as Nova allows, reached through real flows: the
// guests of compute-1 ignore shutdown requests (a test-only fault: the test driver's always obey), so a
// stop stays `powering-off` and a soft reboot `reboot_started` until the simulated clock passes their waits.
const clock = new SimulatedClock(Date.UTC(2026, 11, 6, 11));
let c: ComputeCloud;
let uri: string;

test.before(async () => {
  c = await startComputeCloud(
    'delete-states',
    {
      libvirt: { hosts: [{ name: 'compute-1', memoryMb: 8192 }] },
      faults: { ignoreShutdownHosts: ['compute-1'] },
      timeouts: { cleanShutdownMs: 60_000, softRebootMs: 60_000 },
    },
    clock,
  );
  uri = c.cloud.hosts[0].uri;
});
test.after.always(async () => {
  await c?.stop();
});

const show = (id: string) => c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') });
const act = (id: string, body: unknown) => c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.admin, body });
const del = (id: string) => c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin });
const usage = async () => (await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin, headers: at('2.1') })).body.hypervisors[0];

async function task(id: string, expected: string): Promise<void> {
  await eventually(async () => (await show(id)).body.server?.['OS-EXT-STS:task_state'] === expected, 30_000);
}

/** Deletes and waits until the server is gone; then its guest must be gone too, and stay gone past every wait. */
async function deletedForGood(t: any, id: string): Promise<void> {
  const r = await del(id);
  t.is(r.status, 204);
  await eventually(async () => (await show(id)).status === 404, 30_000);
  // The interrupted action's checks run out meanwhile: none brings the guest back or the server back.
  for (let i = 0; i < 14; i++) {
    await clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 15));
  }
  t.is((await show(id)).status, 404);
  t.false((await domainsOf([uri])).has(id));
  const deleted = await c.nova.call('GET', `/v2.1/servers/detail?deleted=true&uuid=${id}`, { token: c.admin, headers: at('2.93') });
  t.like(deleted.body.servers[0], { id, status: 'DELETED', 'OS-EXT-STS:task_state': null });
}

test.serial('a server being stopped (powering-off) is deleted', async (t) => {
  const id = await bootActive(c, c.admin, 'stopping');
  t.is((await act(id, { 'os-stop': null })).status, 202);
  await task(id, 'powering-off');
  await deletedForGood(t, id);
});

test.serial('a server in a soft reboot (reboot_started) is deleted', async (t) => {
  const id = await bootActive(c, c.admin, 'rebooting');
  t.is((await act(id, { reboot: { type: 'SOFT' } })).status, 202);
  await task(id, 'reboot_started');
  await deletedForGood(t, id);
});

test.serial('a server deleted right after its boot was accepted (building) is deleted, and its host holds nothing for it', async (t) => {
  const before = await usage();
  const r = await boot(c.nova, c.admin, 'short-lived');
  t.is(r.status, 202);
  const id = r.body.server.id as string;
  t.is((await show(id)).body.server.status, 'BUILD');
  await deletedForGood(t, id);
  await eventually(async () => (await usage()).running_vms === before.running_vms, 30_000);
  t.like(await usage(), { running_vms: before.running_vms, memory_mb_used: before.memory_mb_used });
});

test.serial('a delete during a delete (deleting) is accepted and the server goes once', async (t) => {
  const id = await bootActive(c, c.admin, 'twice');
  const before = await usage();
  const [first, second] = await Promise.all([del(id), del(id)]);
  t.is(first.status, 204);
  t.is(second.status, 204);
  await eventually(async () => (await show(id)).status === 404, 30_000);
  t.is((await usage()).running_vms, before.running_vms - 1, 'its resources were freed once');
});
