import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { ensureQemuHypervisor, stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { at, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { qemuPidOf } from './helpers/qemu.js';
import { holdMachineLock } from './helpers/machine-lock.js';

// The real host: a private QEMU libvirtd under the cloud's state directory, stratus-tiny guests under TCG, driven
// through the API and observed on the real processes and the daemon. The SQLite pass only: real guests are slow
// and the PostgreSQL pass would only repeat them.
const run = onPostgres() ? test.serial.skip : test.serial;
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');

let c: ComputeCloud;
let qemuDir: string;
let hv: LibvirtConnection;
let host: string;
let dropEvents: string;

const server = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') })).body.server;
const act = async (id: string, body: object) => {
  const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body });
  if (r.status !== 202) throw new Error(`${JSON.stringify(body)} answered ${r.status}: ${JSON.stringify(r.body)}`);
};
/** Waits (bounded) until the server shows this status and power state, its task done. */
const settle = (id: string, status: string, power: number, timeoutMs = 60_000) =>
  eventually(
    async () => {
      const s = await server(id);
      return s.status === status && s['OS-EXT-STS:power_state'] === power && s['OS-EXT-STS:task_state'] === null;
    },
    timeoutMs,
    100,
  );
const banners = (id: string) => {
  const log = join(c.config.stateDir, 'instances', host, id, 'console.log');
  return existsSync(log) ? (readFileSync(log, 'utf8').match(/STRATUS-TINY/g) ?? []).length : 0;
};
const domainState = async (id: string) => (await hv.status(id))?.powerState;

let release = () => {};
test.before(async () => {
  if (onPostgres()) return;
  // Never beside another real-guest or multi-process suite: TCG guests and leases share two cores.
  release = await holdMachineLock();
  const dir = join(tmpdir(), `stratus-drop-${process.pid}`);
  dropEvents = `${dir}-events`;
  c = await startComputeCloud('qemu-host', {
    libvirt: { realHost: true, simulatedHosts: 1 },
    qemu: { stoppedEventDelayMs: 1_000, powerSyncMs: 1_500, capabilityCacheDir: CAPABILITIES },
    timeouts: { reportIntervalMs: 300, serviceDownMs: 2_000, softRebootMs: 2_000, cleanShutdownMs: 2_000, hypervisorRetryMs: 300 },
    faults: { dropEventsFile: dropEvents },
  });
  qemuDir = join(c.config.stateDir, 'qemu', '1');
  host = `qemu-${c.config.nodeId}`;
  hv = new LibvirtConnection(c.cloud.hosts.find((h) => h.name === host)!.uri);
});
test.after.always(async () => {
  try {
    if (!c) return;
    rmSync(dropEvents, { force: true });
    await hv.close();
    await c.stop();
  } finally {
    // A graceful stop leaves real guests running, as stopping nova-compute does: the test stops the daemon itself.
    if (qemuDir) await stopQemuHypervisor(qemuDir);
    release();
  }
});

let id: string;

run('a plain boot of stratus-tiny runs a QEMU guest on the real host; its banner comes back as console output', async (t) => {
  id = await bootActive(c, c.demo, 'tiny');
  const s = await server(id);
  t.is(s['OS-EXT-SRV-ATTR:host'], host);
  t.is(s['OS-EXT-AZ:availability_zone'], 'nova');
  t.truthy(qemuPidOf(id), 'a QEMU process runs with the server’s -uuid');
  let output = '';
  await eventually(
    async () => {
      const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': { length: 5 } } });
      output = r.status === 200 ? r.body.output : '';
      return output.includes('STRATUS-TINY');
    },
    60_000,
    100,
  );
  t.regex(output, /STRATUS-TINY/);
  const none = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': { length: 0 } } });
  t.deepEqual([none.status, none.body], [200, { output: '' }]);
  const bad = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': { length: -2 } } });
  t.is(bad.status, 400);
  t.regex(bad.body.badRequest.message, /length/);
});

run('the real host as os-hypervisors shows it: QEMU, its version and cpu_info; the simulated host is in zone simulated', async (t) => {
  const list = (await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin, headers: at('2.87') })).body.hypervisors;
  const real = list.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === host);
  t.is(real.hypervisor_type, 'QEMU');
  t.true(real.hypervisor_version > 7_000_000, `QEMU 7.x or later (${real.hypervisor_version})`);
  t.is(real.cpu_info.arch, 'x86_64');
  t.true(real.memory_mb_used >= c.config.qemu.reservedHostMemoryMb, 'the reserved RAM counts as used');
  const zones = (await c.nova.call('GET', '/v2.1/os-availability-zone/detail', { token: c.admin })).body.availabilityZoneInfo;
  t.deepEqual(zones.map((z: { zoneName: string }) => z.zoneName).sort(), ['internal', 'nova', 'simulated']);
});

run('stop: no QEMU process; start: a new one; hard reboot: a new one again', async (t) => {
  const first = qemuPidOf(id)!;
  await act(id, { 'os-stop': null });
  await settle(id, 'SHUTOFF', PowerState.SHUTDOWN);
  t.is(qemuPidOf(id), undefined, 'stopped: no QEMU');
  await act(id, { 'os-start': null });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
  const started = qemuPidOf(id)!;
  t.truthy(started);
  t.not(started, first);
  await act(id, { reboot: { type: 'HARD' } });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
  await eventually(() => qemuPidOf(id) !== undefined && qemuPidOf(id) !== started, 30_000, 50);
  t.not(qemuPidOf(id), started, 'a hard reboot is a new QEMU');
});

run('soft reboot: the guest ignores ACPI, so it is rebooted hard after the wait: a new QEMU and a second banner', async (t) => {
  await eventually(() => banners(id) >= 1, 30_000, 50);
  const before = banners(id);
  const pid = qemuPidOf(id);
  await act(id, { reboot: { type: 'SOFT' } });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
  t.not(qemuPidOf(id), pid);
  await eventually(() => banners(id) > before, 30_000, 50);
  t.true(banners(id) > before, 'the guest booted again');
});

run('pause: QEMU reports paused; unpause: running again, the same process', async (t) => {
  const pid = qemuPidOf(id);
  await act(id, { pause: null });
  await settle(id, 'PAUSED', PowerState.PAUSED);
  t.is(await domainState(id), PowerState.PAUSED);
  await act(id, { unpause: null });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
  t.is(await domainState(id), PowerState.RUNNING);
  t.is(qemuPidOf(id), pid);
});

run('suspend: no QEMU and a managed save in the daemon; resume: restored from it', async (t) => {
  await act(id, { suspend: null });
  await settle(id, 'SUSPENDED', PowerState.SHUTDOWN);
  t.is(qemuPidOf(id), undefined);
  t.true(await hv.hasManagedSave(id), 'the daemon holds a managed save');
  await act(id, { resume: null });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
  t.truthy(qemuPidOf(id));
  t.false(await hv.hasManagedSave(id), 'the managed save was used up');
});

run('a pause made outside Stratus (through the daemon) shows as power_state paused, the status still ACTIVE', async (t) => {
  await hv.pause(id);
  await settle(id, 'ACTIVE', PowerState.PAUSED, 10_000);
  t.is((await server(id))['OS-EXT-STS:vm_state'], 'active');
  await hv.unpause(id);
  await settle(id, 'ACTIVE', PowerState.RUNNING, 10_000);
  t.pass();
});

run('a change made while lifecycle events are lost (the event connection cut, by a test-only fault) is caught by the periodic sync', async (t) => {
  writeFileSync(dropEvents, '');
  try {
    await hv.pause(id);
    await settle(id, 'ACTIVE', PowerState.PAUSED, 15_000);
    t.is(await domainState(id), PowerState.PAUSED);
  } finally {
    rmSync(dropEvents, { force: true });
  }
  await hv.unpause(id);
  await settle(id, 'ACTIVE', PowerState.RUNNING, 10_000);
});

run('QEMU killed with kill -9: the server is stopped (SHUTOFF) through a stop action with its event', async (t) => {
  const pid = qemuPidOf(id)!;
  process.kill(pid, 'SIGKILL');
  await settle(id, 'SHUTOFF', PowerState.SHUTDOWN, 30_000);
  const actions = (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.admin })).body.instanceActions;
  const stop = actions.find((a: { action: string }) => a.action === 'stop');
  t.truthy(stop, 'a stop action was recorded');
  const detail = (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions/${stop.request_id}`, { token: c.admin, headers: at('2.51') }))
    .body.instanceAction;
  t.deepEqual(
    detail.events.map((e: { event: string; result: string }) => [e.event, e.result]),
    [['compute_stop_instance', 'Success']],
  );
  await act(id, { 'os-start': null });
  await settle(id, 'ACTIVE', PowerState.RUNNING);
});

run('a stopped guest whose serial port something else took meanwhile is started on a new one', async (t) => {
  const portFile = join(c.config.stateDir, 'instances', host, id, 'serial-port');
  const old = Number(readFileSync(portFile, 'utf8'));
  await act(id, { 'os-stop': null });
  await settle(id, 'SHUTOFF', PowerState.SHUTDOWN);
  // Taken for real: a listener on the guest's port, as another daemon's guest would hold it.
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(old, c.config.qemu.consoleListen, resolve));
  try {
    await act(id, { 'os-start': null });
    await settle(id, 'ACTIVE', PowerState.RUNNING);
    t.not(Number(readFileSync(portFile, 'utf8')), old, 'a new port was chosen');
    t.truthy(qemuPidOf(id));
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

run(
  'kill -9 of the private libvirtd: guests keep running, the service goes down; restarted, it is up and what changed meanwhile is synced',
  async (t) => {
    const other = await bootActive(c, c.demo, 'tiny-2');
    const pids = { id: qemuPidOf(id)!, other: qemuPidOf(other)! };
    const daemon = Number(readFileSync(join(qemuDir, 'libvirtd.pid'), 'utf8'));
    process.kill(daemon, 'SIGKILL');
    const compute = async () =>
      (await c.nova.call('GET', `/v2.1/os-services?binary=nova-compute&host=${host}`, { token: c.admin })).body.services[0].state as string;
    await eventually(async () => (await compute()) === 'down', 30_000, 100);
    t.is((await server(id)).host_status, 'UNKNOWN');
    t.is(qemuPidOf(id), pids.id, 'the guest outlived its daemon');
    // While nobody listens: one guest dies.
    process.kill(pids.other, 'SIGKILL');
    await ensureQemuHypervisor(qemuDir, { capabilityCacheDir: CAPABILITIES });
    await eventually(async () => (await compute()) === 'up', 30_000, 100);
    await settle(other, 'SHUTOFF', PowerState.SHUTDOWN, 30_000);
    t.is((await server(id)).host_status, 'UP');
    t.is(qemuPidOf(id), pids.id, 'the running guest was re-attached, not restarted');
    t.is((await server(id))['OS-EXT-STS:power_state'], PowerState.RUNNING);
    const gone = await c.nova.call('DELETE', `/v2.1/servers/${other}`, { token: c.demo });
    t.is(gone.status, 204);
  },
);

run('delete: no domain in the daemon, no QEMU with its -uuid, no instance folder', async (t) => {
  const folder = join(c.config.stateDir, 'instances', host, id);
  t.true(existsSync(folder));
  const r = await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo });
  t.is(r.status, 204);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).status === 404, 60_000, 100);
  t.is(await hv.status(id), undefined, 'no domain');
  t.is(qemuPidOf(id), undefined, 'no QEMU');
  t.false(existsSync(folder), 'no instance folder');
});
