import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { startCloudProcess } from './helpers/cloud-process.js';
import { boot, domainsOf, settled, type Api } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, client } from './helpers/identity.js';
import { startTestCloud, stopTestCloud, type TestCloud } from './helpers/test-cloud.js';

// kill -9 of Stratus while a resize and a live migration are under way (each held by the test-only
// faults.spawnDelayMs at the step that carries its guest across), then a restart: each ends in a state Nova could
// end in, with each server's domain on exactly the host its row names and os-hypervisors counting what the servers hold.
//   resize:         finished (VERIFY_RESIZE on the destination, the old flavor still claimed on the source),
//                   reverted (ACTIVE on the source), or ERROR with a fault.
//   live migration: finished (ACTIVE on the destination), reverted (ACTIVE on the source), or ERROR with a fault.
const HOSTS = ['compute-1', 'compute-2', 'compute-3'];

let c: TestCloud;
let uris: string[];
let token: string;
let nova: Api;
// The second test's hold: each step held longer than a move may take. The first test restarts with it already (its
// redelivered steps then wait 3 s and finish), saving a restart.
const SHORT_HOLD = { STRATUS_FAULTS_SPAWN_DELAY_MS: '3000', STRATUS_TIMEOUTS_ACTION_MS: '1000' };
let shortHold = false;
const act = (id: string, body: unknown) =>
  nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: { 'OpenStack-API-Version': 'compute 2.30' } });
/** The first hold of a step logged since line `from` of the running process. */
const held = (step: string, from = 0) => c.cloud.lines.slice(from).find((l) => l.msg === 'move step held (test-only fault)' && l.step === step);

test.before(async () => {
  c = await startTestCloud('moves-crash', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '3', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  uris = [1, 2, 3].map((i) => `test+unix:///default?socket=${join(c.env.STRATUS_STATE_DIR, 'hv', String(i), 'libvirt-sock')}`);
  token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
  nova = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`);
  for (const name of ['vm-a', 'vm-b', 'vm-c', 'vm-d', 'vm-e', 'vm-f']) {
    const r = await boot(nova, token, name);
    if (r.status !== 202) throw new Error(`boot answered ${r.status}`);
  }
  await settled(nova, token);
});
test.after.always(async () => {
  if (c) await stopTestCloud(c);
});

/**
 * With the hold on: a resize of one server, then a live migration between the two hosts the held resize's
 * destination is not (so that neither step waits behind the other's hold); answers once both are held.
 */
async function startBoth(t: ExecutionContext, active: any[], from = 0) {
  const resized = active.find((s) => s.flavor.id === '1');
  const r = await act(resized.id, { resize: { flavorRef: '2' } });
  t.is(r.status, 202, JSON.stringify(r.body));
  await eventually(() => held('finishResize', from)?.instance === resized.id, 30_000);
  const resizeDest = held('finishResize', from)!.host as string;
  const live = active.find((s) => s.id !== resized.id && s['OS-EXT-SRV-ATTR:host'] !== resizeDest);
  t.truthy(live, 'a server off the resize destination');
  const liveDest = HOSTS.find((h) => h !== resizeDest && h !== live['OS-EXT-SRV-ATTR:host'])!;
  const l = await act(live.id, { 'os-migrateLive': { host: liveDest, block_migration: 'auto' } });
  t.is(l.status, 202, JSON.stringify(l.body));
  await eventually(() => held('liveOut', from)?.instance === live.id, 30_000);
  return { resized, resizeDest, live, liveDest };
}

/**
 * Each server's domain on exactly the host its row names (an ERROR one may have none), none anywhere else, and
 * os-hypervisors counting each server's flavor on its host (a resize awaiting confirmation: its old one on the source too).
 */
async function sameAsServers(t: ExecutionContext, after: any[], resized: any) {
  // Each server's domain on exactly the host its row names (an ERROR one may have none), none anywhere else.
  // Read host by host: a copy left on a second host must show.
  const placed = new Map<string, string[]>();
  for (const [i, uri] of uris.entries())
    for (const uuid of (await domainsOf([uri])).keys()) placed.set(uuid, [...(placed.get(uuid) ?? []), HOSTS[i]]);
  for (const s of after) {
    const where = placed.get(s.id) ?? [];
    if (where.length || s.status !== 'ERROR') t.deepEqual(where, [s['OS-EXT-SRV-ATTR:host']], `${s.name}'s domain`);
  }
  const owned = new Set(after.map((s) => s.id as string));
  t.deepEqual(
    [...placed.keys()].filter((uuid) => !owned.has(uuid)),
    [],
  );
  // os-hypervisors counts what the servers hold: each its flavor on its host, a resize awaiting confirmation its old one on the source too.
  const flavors = new Map((await nova.call('GET', '/v2.1/flavors/detail', { token })).body.flavors.map((f: any) => [f.id, f] as const));
  const expected = new Map(HOSTS.map((h) => [h, { vcpus_used: 0, memory_mb_used: 0 }]));
  const add = (host: string, flavorId: string) => {
    const f: any = flavors.get(flavorId);
    const e = expected.get(host)!;
    e.vcpus_used += f.vcpus;
    e.memory_mb_used += f.ram;
  };
  for (const s of after) {
    add(s['OS-EXT-SRV-ATTR:host'], s.flavor.id);
    if (s.status === 'VERIFY_RESIZE') add(resized['OS-EXT-SRV-ATTR:host'], resized.flavor.id);
  }
  const hv = (await nova.call('GET', '/v2.1/os-hypervisors/detail', { token })).body.hypervisors;
  t.deepEqual(
    Object.fromEntries(hv.map((h: any) => [h.hypervisor_hostname, { vcpus_used: h.vcpus_used, memory_mb_used: h.memory_mb_used }])),
    Object.fromEntries(expected),
  );
}

test.serial('after kill -9 during a resize and a live migration, and a restart: each in a Nova end state, no orphan domain or claim', async (t) => {
  {
    const servers = await settled(nova, token);
    // Started again with the hold: the hosts take the orders and wait at the step that carries the guest across.
    await c.cloud.stop();
    c.cloud = await startCloudProcess({ ...c.env, STRATUS_FAULTS_SPAWN_DELAY_MS: '600000' });
    const { resized, resizeDest, live, liveDest } = await startBoth(
      t,
      servers.filter((s) => s.status === 'ACTIVE'),
    );
    // The task states in the database at the kill.
    const taskOf = async (id: string) => (await nova.call('GET', `/v2.1/servers/${id}`, { token })).body.server['OS-EXT-STS:task_state'];
    const atKill = { resize: await taskOf(resized.id), live: await taskOf(live.id) };
    t.log(`at the kill: ${JSON.stringify(atKill)}`);
    t.deepEqual(atKill, { resize: 'resize_migrated', live: 'migrating' });
    c.cloud.child.kill('SIGKILL');
    await new Promise((resolve) => c.cloud.child.once('exit', resolve));
    c.cloud = await startCloudProcess({ ...c.env, ...SHORT_HOLD });
    shortHold = true;

    const after = await settled(nova, token);
    await sameAsServers(t, after, resized);
    const a = after.find((s) => s.id === resized.id);
    const b = after.find((s) => s.id === live.id);
    t.log(`resize: ${a.status} on ${a['OS-EXT-SRV-ATTR:host']}; live migration: ${b.status} on ${b['OS-EXT-SRV-ATTR:host']}`);
    const ends = (s: any, done: [string, string], undone: [string, string]) =>
      (s.status === done[0] && s['OS-EXT-SRV-ATTR:host'] === done[1]) ||
      (s.status === undone[0] && s['OS-EXT-SRV-ATTR:host'] === undone[1]) ||
      (s.status === 'ERROR' && s.fault !== undefined);
    t.true(ends(a, ['VERIFY_RESIZE', resizeDest], ['ACTIVE', resized['OS-EXT-SRV-ATTR:host']]), `resize ended as ${a.status}`);
    t.true(ends(b, ['ACTIVE', liveDest], ['ACTIVE', live['OS-EXT-SRV-ATTR:host']]), `live migration ended as ${b.status}`);
    // Confirmed, so that the next test starts from servers that each hold one flavor on one host.
    if (a.status === 'VERIFY_RESIZE') t.is((await act(a.id, { confirmResize: null })).status, 204);
    await settled(nova, token);
  }
});

test.serial('a resize and a live migration that time out leave no copy or claim on their destinations (Nova’s rollback)', async (t) => {
  const servers = await settled(nova, token);
  const usage = async () =>
    Object.fromEntries(
      (await nova.call('GET', '/v2.1/os-hypervisors/detail', { token })).body.hypervisors.map((h: any) => [
        h.hypervisor_hostname,
        { vcpus_used: h.vcpus_used, memory_mb_used: h.memory_mb_used, running_vms: h.running_vms },
      ]),
    );
  const before = await usage();
  // Each step held longer than a move may take: both moves time out while their hosts hold them.
  if (!shortHold) {
    await c.cloud.stop();
    c.cloud = await startCloudProcess({ ...c.env, ...SHORT_HOLD });
  }
  const heldSoFar = c.cloud.lines.length;
  const { resized, resizeDest, live, liveDest } = await startBoth(
    t,
    servers.filter((s) => s.status === 'ACTIVE'),
    heldSoFar,
  );
  const undoneLines = () => c.cloud.lines.slice(heldSoFar).filter((l) => l.msg === 'abandoned move undone on its destination');
  await eventually(() => undoneLines().length >= 2, 30_000);
  const after = await settled(nova, token);
  const a = after.find((s) => s.id === resized.id);
  const b = after.find((s) => s.id === live.id);
  for (const s of [a, b]) {
    t.is(s.status, 'ERROR');
    t.regex(s.fault.message, /^Timed out waiting for compute hosts /);
  }
  t.is(a['OS-EXT-SRV-ATTR:host'], resized['OS-EXT-SRV-ATTR:host']);
  t.is(b['OS-EXT-SRV-ATTR:host'], live['OS-EXT-SRV-ATTR:host']);
  t.deepEqual(
    undoneLines()
      .map((l) => `${l.instance}@${l.host}`)
      .sort(),
    [`${resized.id}@${resizeDest}`, `${live.id}@${liveDest}`].sort(),
  );
  // The live-migrated guest runs on at its source (the destination's copy gone); nothing orphaned, nothing claimed twice.
  t.is((await domainsOf([uris[HOSTS.indexOf(live['OS-EXT-SRV-ATTR:host'])]])).get(live.id)?.powerState, 1);
  await sameAsServers(t, after, resized);
  t.deepEqual(await usage(), before);
});
