import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopQemuHypervisor, qemuUriOf } from '../drivers/qemu/daemon.js';
import { exists } from '../drivers/qemu/processes.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { openDatabase } from '../models/database.js';
import type { InstanceRow } from '../models/instance.js';
import { startCloudProcess } from './helpers/cloud-process.js';
import { boot, settled, type Api } from './helpers/compute.js';
import { onPostgres } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, client } from './helpers/identity.js';
import { lockedSerial } from './helpers/machine-lock.js';
import { qemuPidOf } from './helpers/qemu.js';
import { startTestCloud, stopTestCloud, type TestCloud } from './helpers/test-cloud.js';

// The real host across the life of the Stratus process: kill -9 in the middle of builds, a graceful stop, and two
// clouds side by side on one machine, each cloud in its own process on a private QEMU libvirtd whose stratus-tiny
// guests run under TCG. The SQLite pass only (real guests are slow and a second pass would only repeat them), under
// the machine-wide lock of the multi-process suites, as each test runs processes of its own and real guests.
const run = lockedSerial(test.serial, test.serial.skip, !onPostgres());

// Shared by every daemon on the machine: only the first pays QEMU's capability probe.
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');

interface RealCloud {
  readonly c: TestCloud;
  readonly stateDir: string;
  readonly qemuDir: string;
  readonly nova: Api;
  /** An admin token; tokens survive a restart. */
  readonly token: string;
}

/**
 * A cloud in its own process with only the real host. Its state directory is the test's own (short, for the daemon's
 * socket path), so the daemon it starts is stopped at the end whatever happened, even when the cloud never said it started.
 */
async function startRealCloud(t: ExecutionContext, name: string): Promise<RealCloud> {
  const root = mkdtempSync(join(tmpdir(), 'st-qhc-'));
  const stateDir = join(root, 's');
  const qemuDir = join(stateDir, 'qemu', '1');
  const started: { c?: TestCloud } = {};
  t.teardown(async () => {
    if (started.c) await stopTestCloud(started.c);
    // A graceful stop leaves the daemon and its guests running, as stopping nova-compute does: stopped here.
    await stopQemuHypervisor(qemuDir);
    rmSync(root, { recursive: true, force: true });
  });
  const c = (started.c = await startTestCloud(name, {
    STRATUS_STATE_DIR: stateDir,
    STRATUS_LIBVIRT_REAL_HOST: 'true',
    STRATUS_LIBVIRT_SIMULATED_HOSTS: '0',
    STRATUS_QEMU_CAPABILITY_CACHE_DIR: CAPABILITIES,
    STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
  }));
  const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
  return { c, stateDir, qemuDir, nova: client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`), token };
}

const serversOf = async (r: RealCloud): Promise<any[]> =>
  (await r.nova.call('GET', '/v2.1/servers/detail?all_tenants=1', { token: r.token })).body.servers;

/** Boots stratus-tiny and waits (bounded) until it is ACTIVE; answers its id. */
async function bootActive(r: RealCloud, name: string): Promise<string> {
  const booted = await boot(r.nova, r.token, name);
  if (booted.status !== 202) throw new Error(`boot answered ${booted.status}: ${JSON.stringify(booted.body)}`);
  const id = booted.body.server.id as string;
  let server: any;
  try {
    await eventually(
      async () => {
        server = (await r.nova.call('GET', `/v2.1/servers/${id}`, { token: r.token })).body.server;
        return server?.status === 'ACTIVE';
      },
      60_000,
      50,
    );
  } catch (error) {
    throw new Error(`${name} (${id}) not ACTIVE: ${server?.status} ${JSON.stringify(server?.fault ?? null)} (${(error as Error).message})`);
  }
  return id;
}

/** The UUIDs of every domain the cloud's daemon has, running or only defined, read straight from it. */
async function domainsOf(qemuDir: string): Promise<Set<string>> {
  const connection = new LibvirtConnection(qemuUriOf(qemuDir));
  try {
    return new Set((await connection.domains()).map((d) => d.uuid));
  } finally {
    await connection.close();
  }
}

/** The instance rows, read from the cloud's own SQLite database (while its process is not running). */
async function instanceRows(stateDir: string): Promise<InstanceRow[]> {
  const db = await openDatabase(`sqlite:${join(stateDir, 'stratus.sqlite')}`, { migrate: false });
  try {
    return (await db.models.Instance.findAll({ where: { deleted_at: null } })).map((r) => r.get({ plain: true }));
  } finally {
    await db.close();
  }
}

/**
 * Every live QEMU process on the machine with a `-uuid` whose command line names `marker` (a state directory: its
 * guests' disks live under it), as pid → domain UUID. An orphan (a guest no daemon or server accounts for) shows here too.
 */
function qemuProcessesUnder(marker: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('-uuid');
    if (at >= 0 && args.some((a) => a.includes(marker))) found.set(Number(entry), args[at + 1]);
  }
  return found;
}

/** The servers' guests: exactly one QEMU process for each server, and none for anything else. */
function assertOneGuestPerServer(t: ExecutionContext, r: RealCloud, ids: readonly string[]) {
  const uuids = [...qemuProcessesUnder(r.stateDir).values()];
  t.deepEqual([...uuids].sort(), [...ids].sort(), 'one QEMU process per server, and no other (no orphan, no duplicate)');
}

async function killHard(c: TestCloud) {
  const exited = c.cloud.child.exitCode !== null || c.cloud.child.signalCode !== null ? undefined : once(c.cloud.child, 'exit');
  c.cloud.child.kill('SIGKILL');
  await exited;
}

const libvirtdPid = (qemuDir: string) => Number(readFileSync(join(qemuDir, 'libvirtd.pid'), 'utf8').trim());

run(
  'kill -9 while servers are BUILD with their domains defined: after a restart every server is ACTIVE with one guest, running guests keep their pid',
  async (t) => {
    const r = await startRealCloud(t, 'qemu-host-crash');
    const steady = await bootActive(r, 'steady');
    // Five boots in one request: the real host makes, defines and starts their guests one after another, so for a
    // while a server is still BUILD while its domain exists (its QEMU starting, or up and its build not yet recorded).
    // The kill comes then, polled from the daemon and the API; no test-only hold is needed (faults.spawnDelayMs would
    // hold the spawn before its domain is defined). Whether it came in time is read again once the process is gone.
    const burst = await boot(r.nova, r.token, 'burst', { min_count: 5 });
    t.is(burst.status, 202);
    await eventually(
      async () => {
        const domains = await domainsOf(r.qemuDir);
        return (await serversOf(r)).some((s) => s.status === 'BUILD' && domains.has(s.id));
      },
      60_000,
      5,
    );
    await killHard(r.c);

    // What the crash left, read with the process gone: the tables and the daemon no longer change under the reads.
    const rows = await instanceRows(r.stateDir);
    const domains = await domainsOf(r.qemuDir);
    t.is(rows.length, 6, 'the steady server and the five of the burst are recorded');
    const caught = rows.filter((i) => i.vm_state === 'building' && domains.has(i.uuid));
    t.log(
      `at the kill: ${rows.filter((i) => i.vm_state === 'building').length} building, ${caught.length} of them with a domain, ` +
        `${caught.filter((i) => qemuPidOf(i.uuid)).length} of those with a QEMU process`,
    );
    t.true(caught.length > 0, 'the kill came while a server was BUILD with its domain defined');
    const running = new Map(rows.filter((i) => i.vm_state === 'active').map((i) => [i.uuid, qemuPidOf(i.uuid)]));
    t.true(running.has(steady));
    for (const [uuid, pid] of running) t.truthy(pid, `active server ${uuid} has its guest running at the kill`);
    // A caught server's QEMU may be up already (its start under way or done): the claim handled again must keep it.
    const started = new Map(caught.flatMap((i) => (qemuPidOf(i.uuid) ? [[i.uuid, qemuPidOf(i.uuid)!] as const] : [])));

    r.c.cloud = await startCloudProcess(r.c.env);
    const servers = await settled(r.nova, r.token, 90_000);
    t.deepEqual(servers.map((s) => s.id).sort(), rows.map((i) => i.uuid).sort(), 'the servers are those recorded before the kill');
    t.deepEqual(
      servers
        .filter((s) => s.status !== 'ACTIVE' || s['OS-EXT-STS:power_state'] !== 1)
        .map((s) => `${s.name}: ${s.status}/${s['OS-EXT-STS:power_state']}`),
      [],
      'every server is ACTIVE and running',
    );
    t.deepEqual([...(await domainsOf(r.qemuDir))].sort(), rows.map((i) => i.uuid).sort(), 'one domain per server, and no other');
    assertOneGuestPerServer(
      t,
      r,
      rows.map((i) => i.uuid),
    );
    for (const [uuid, pid] of running) t.is(qemuPidOf(uuid), pid, `the guest of ${uuid}, running before the kill, was left running`);
    for (const [uuid, pid] of started) t.is(qemuPidOf(uuid), pid, `the guest of ${uuid}, started by the build the kill cut short, was kept`);
  },
);

run('a graceful stop leaves the real guests and their daemon running; the next start re-attaches them', async (t) => {
  const r = await startRealCloud(t, 'qemu-host-stop');
  const ids = await Promise.all([bootActive(r, 'kept-1'), bootActive(r, 'kept-2')]);
  const pids = new Map(ids.map((id) => [id, qemuPidOf(id)]));
  for (const [id, pid] of pids) t.truthy(pid, `${id} runs a QEMU guest`);
  const daemon = libvirtdPid(r.qemuDir);

  t.is(await r.c.cloud.stop(), 0, 'the graceful stop completed');
  t.true(r.c.cloud.lines.some((l) => l.msg === 'stratus stopped'));
  for (const [id, pid] of pids) t.is(qemuPidOf(id), pid, `${id}'s guest outlived Stratus`);
  t.true(exists(daemon), 'the daemon outlived Stratus');

  r.c.cloud = await startCloudProcess(r.c.env);
  t.is(libvirtdPid(r.qemuDir), daemon, 'the next start found the daemon running and started no other');
  const registered = r.c.cloud.lines.find((l) => l.msg === 'host registered');
  t.like(registered, { rebooted: false, adopted: 2, resumed: 0, missing: 0, unknown: 0 }, 'the host adopted both guests as they are');
  const servers = await serversOf(r);
  t.deepEqual(servers.map((s) => [s.id, s.status, s['OS-EXT-STS:power_state']]).sort(), ids.map((id) => [id, 'ACTIVE', 1]).sort());
  for (const [id, pid] of pids) t.is(qemuPidOf(id), pid, `${id} runs the same guest`);
  assertOneGuestPerServer(t, r, ids);
});

// Both clouds are node-1, so both real hosts are named qemu-node-1: only their state directories tell them apart. Their
// boots run at once, so their daemons choose console ports at the same time (each knows only its own guests' ports).
run('two clouds on one machine, each with its real host: each daemon has only its own domain, each API only its own server', async (t) => {
  const [a, b] = await Promise.all([startRealCloud(t, 'qemu-host-a'), startRealCloud(t, 'qemu-host-b')]);
  const [idA, idB] = await Promise.all([bootActive(a, 'in-a'), bootActive(b, 'in-b')]);
  t.not(idA, idB);
  for (const [mine, id, other] of [
    [a, idA, idB],
    [b, idB, idA],
  ] as const) {
    t.deepEqual([...(await domainsOf(mine.qemuDir))], [id], 'the daemon has its own cloud’s domain and not the other’s');
    t.deepEqual(
      (await serversOf(mine)).map((s) => s.id),
      [id],
      'the API lists its own server only',
    );
    t.is((await mine.nova.call('GET', `/v2.1/servers/${other}`, { token: mine.token })).status, 404);
    assertOneGuestPerServer(t, mine, [id]);
  }
});
