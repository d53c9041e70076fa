// Our libvirt binding (@stratus/virt) against libvirt's test driver: in this process (test:///default), and
// behind a private libvirtd like a simulated host's, where another client's actions and the daemon's death
// reach us as events.
import test from 'ava';
import { lockedSerial } from './helpers/machine-lock.js';
import { onPostgres } from './helpers/database.js';
import { ensureQemuHypervisor, stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureSimulatedHypervisor, stopSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import {
  addon,
  isLibvirtError,
  VIR_CONNECT_CLOSE_REASON,
  VIR_CONNECT_LIST_DOMAINS,
  VIR_DOMAIN_DESTROY,
  VIR_DOMAIN_EVENT,
  VIR_DOMAIN_EVENT_DETAIL,
  VIR_DOMAIN_REBOOT,
  VIR_DOMAIN_SAVE,
  VIR_DOMAIN_SHUTDOWN,
  VIR_DOMAIN_START,
  VIR_DOMAIN_STATE,
  VIR_DOMAIN_UNDEFINE,
  VIR_DOMAIN_XML,
  VIR_ERR,
  VIR_FROM,
  VirtConnection,
  type LifecycleEvent,
} from '../drivers/libvirt/virt.js';
import { eventually } from './helpers/drive.js';
import { alive } from './helpers/processes.js';

const run = promisify(execFile);
const { DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED } = VIR_DOMAIN_EVENT;
const DETAIL = VIR_DOMAIN_EVENT_DETAIL;

let serial = 0;
/** A domain of its own for each test: the in-process test driver's state is shared by this file's tests. */
function domain(type = 'test') {
  const n = (++serial).toString(16).padStart(12, '0');
  const uuid = `5e1f0000-0000-4000-8000-${n}`;
  const name = `binding-${n}`;
  const xml =
    `<domain type='${type}'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
    `<os><type arch='x86_64'>hvm</type></os></domain>`;
  return { uuid, name, xml };
}

/** Every lifecycle event the connection hears about one domain, as [event, detail] pairs. */
function recorder(connection: VirtConnection, uuid: string) {
  const seen: LifecycleEvent[] = [];
  connection.onLifecycle((e) => {
    if (e.uuid === uuid) seen.push(e);
  });
  const pairs = () => seen.map((e) => [e.event, e.detail]);
  /** Waits (bounded) until the pairs heard so far end with `expected`. */
  const heard = async (...expected: [number, number][]) => {
    await eventually(() => JSON.stringify(pairs().slice(-expected.length)) === JSON.stringify(expected), 10_000).catch(() => {
      throw new Error(`expected events ${JSON.stringify(expected)} at the end of ${JSON.stringify(pairs())}`);
    });
  };
  return { seen, pairs, heard };
}

async function rejection(t: import('ava').ExecutionContext, promise: Promise<unknown>) {
  const error = await t.throwsAsync(promise);
  if (!isLibvirtError(error)) throw new Error(`not a LibvirtError: ${String(error)}`);
  return error;
}

test('the TypeScript constants are the numbers of the libvirt headers the addon was compiled against', (t) => {
  const groups: [string, Record<string, number>][] = [
    ['VIR_DOMAIN_', VIR_DOMAIN_STATE],
    ['VIR_DOMAIN_EVENT_', VIR_DOMAIN_EVENT],
    ...Object.entries(VIR_DOMAIN_EVENT_DETAIL).map(([event, details]): [string, Record<string, number>] => [`VIR_DOMAIN_EVENT_${event}_`, details]),
    ['VIR_CONNECT_CLOSE_REASON_', VIR_CONNECT_CLOSE_REASON],
    ['VIR_DOMAIN_SHUTDOWN_', VIR_DOMAIN_SHUTDOWN],
    ['VIR_DOMAIN_REBOOT_', VIR_DOMAIN_REBOOT],
    ['VIR_DOMAIN_DESTROY_', VIR_DOMAIN_DESTROY],
    ['VIR_DOMAIN_UNDEFINE_', VIR_DOMAIN_UNDEFINE],
    ['VIR_DOMAIN_XML_', VIR_DOMAIN_XML],
    ['VIR_DOMAIN_START_', VIR_DOMAIN_START],
    ['VIR_DOMAIN_SAVE_', VIR_DOMAIN_SAVE],
    ['VIR_CONNECT_LIST_DOMAINS_', VIR_CONNECT_LIST_DOMAINS],
    ['VIR_ERR_', VIR_ERR],
    ['VIR_FROM_', VIR_FROM],
  ];
  let checked = 0;
  for (const [prefix, group] of groups) {
    for (const [name, value] of Object.entries(group)) {
      t.is(addon.constants[prefix + name], value, prefix + name);
      checked++;
    }
  }
  t.is(checked, Object.keys(addon.constants).length, 'every number the addon exports has its constant');
});

test('a domain’s life on the in-process test driver, each step heard as its lifecycle event', async (t) => {
  const connection = await VirtConnection.open('test:///default');
  try {
    const { uuid, name, xml } = domain();
    const events = recorder(connection, uuid);
    const d = await connection.defineXML(xml);
    t.is(d.uuid, uuid);
    t.is(d.name, name);
    await events.heard([DEFINED, DETAIL.DEFINED.ADDED]);
    t.like(events.seen[0], { uuid, name });
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.SHUTOFF, maxMemKiB: 65536, vcpus: 1 });
    t.is(await d.id(), null, 'a defined domain has no id');

    await d.create();
    await events.heard([STARTED, DETAIL.STARTED.BOOTED]);
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.RUNNING });
    t.true(typeof (await d.id()) === 'number');

    await d.suspend();
    await events.heard([SUSPENDED, DETAIL.SUSPENDED.PAUSED]);
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.PAUSED });
    await d.resume();
    await events.heard([RESUMED, DETAIL.RESUMED.UNPAUSED]);

    const listed = await connection.listAllDomains();
    t.like(
      listed.find((l) => l.uuid === uuid),
      { name, state: VIR_DOMAIN_STATE.RUNNING },
    );
    t.true((await connection.listAllDomains(VIR_CONNECT_LIST_DOMAINS.INACTIVE)).every((l) => l.uuid !== uuid && l.id === null));
    t.regex(await d.xml(VIR_DOMAIN_XML.INACTIVE), new RegExp(`<uuid>${uuid}</uuid>`));

    await d.destroy();
    await events.heard([STOPPED, DETAIL.STOPPED.DESTROYED]);
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.SHUTOFF });
    await d.undefine();
    await events.heard([UNDEFINED, DETAIL.UNDEFINED.REMOVED]);
    t.deepEqual(
      events.pairs().map(([e]) => e),
      [DEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, UNDEFINED],
      'one event per step, in order',
    );
    t.is((await rejection(t, connection.lookupByUUID(uuid))).code, VIR_ERR.NO_DOMAIN);
  } finally {
    await connection.close();
  }
});

test('managed save, save to a file and restore, reboot, reset and graceful destroy on the test driver', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'virt-'));
  const connection = await VirtConnection.open('test:///default');
  try {
    const { uuid, xml } = domain();
    const events = recorder(connection, uuid);
    const d = await connection.defineXML(xml);
    await d.create();
    await events.heard([STARTED, DETAIL.STARTED.BOOTED]);

    t.false(await d.hasManagedSaveImage());
    await d.managedSave();
    await events.heard([STOPPED, DETAIL.STOPPED.SAVED]);
    t.true(await d.hasManagedSaveImage());
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.SHUTOFF });
    await d.create();
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.RUNNING });
    t.false(await d.hasManagedSaveImage(), 'starting consumed the image');
    await d.managedSave();
    await d.managedSaveRemove();
    t.false(await d.hasManagedSaveImage());
    await d.create();

    const file = join(dir, 'saved');
    await d.save(file);
    await events.heard([STOPPED, DETAIL.STOPPED.SAVED]);
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.SHUTOFF });
    await connection.restore(file);
    await events.heard([STARTED, DETAIL.STARTED.RESTORED]);
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.RUNNING });

    await d.reboot(VIR_DOMAIN_REBOOT.ACPI_POWER_BTN);
    await d.reset();
    t.like(await d.info(), { state: VIR_DOMAIN_STATE.RUNNING }, 'a reboot and a reset leave it running');
    await d.shutdown(VIR_DOMAIN_SHUTDOWN.DEFAULT);
    await events.heard([STOPPED, DETAIL.STOPPED.SHUTDOWN]);
    await d.create();
    await d.destroy(VIR_DOMAIN_DESTROY.GRACEFUL);
    await events.heard([STOPPED, DETAIL.STOPPED.DESTROYED]);
    await d.create();
    await d.managedSave();
    await d.undefine(VIR_DOMAIN_UNDEFINE.MANAGED_SAVE);
    await events.heard([UNDEFINED, DETAIL.UNDEFINED.REMOVED]);
  } finally {
    await connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failures reject with libvirt’s own code, domain and level', async (t) => {
  const connection = await VirtConnection.open('test:///default');
  const missing = await rejection(t, connection.lookupByUUID('5e1f0000-0000-4000-8000-ffffffffffff'));
  t.like(missing, { name: 'LibvirtError', code: VIR_ERR.NO_DOMAIN, domain: VIR_FROM.TEST, level: 2 });
  t.regex(missing.message, /^Domain not found/);

  const { xml } = domain();
  const d = await connection.defineXML(xml);
  t.like(await rejection(t, d.destroy()), { code: VIR_ERR.OPERATION_INVALID }, 'destroying a domain that is not running');
  await d.create();
  t.like(
    await rejection(t, d.shutdown(VIR_DOMAIN_SHUTDOWN.ACPI_POWER_BTN)),
    { code: VIR_ERR.INVALID_ARG },
    'the test driver takes no shutdown flags',
  );
  t.like(await rejection(t, connection.defineXML('<domain')), { code: VIR_ERR.XML_DETAIL }, 'XML that does not parse');
  await d.destroy();
  await d.undefine();

  t.like(await rejection(t, VirtConnection.open('test+unix:///default?socket=/nonexistent/sock')), { code: VIR_ERR.SYSTEM_ERROR });
  await connection.close();
  await connection.close();
  t.like(await rejection(t, connection.hostname()), { code: VIR_ERR.INVALID_CONN }, 'a closed connection refuses calls');
  t.false(await connection.isAlive());
});

test('host queries: hostname, node info, versions, capabilities', async (t) => {
  const connection = await VirtConnection.open('test:///default', { readonly: true });
  try {
    t.true((await connection.hostname()).length > 0);
    t.like(await connection.nodeInfo(), { cpus: 16, memoryKiB: 3145728, mhz: 1400, model: 'i686' });
    const version = await connection.version();
    t.is(version.type, 'TEST');
    t.is(version.hypervisorVersion, 2, 'the test driver says 0.0.2');
    t.true(version.libVersion >= 9_000_000);
    t.regex(await connection.capabilities(), /<capabilities>/);
    t.true(await connection.isAlive());
    t.like(await rejection(t, connection.defineXML(domain().xml)), { code: VIR_ERR.OPERATION_DENIED }, 'read-only');
  } finally {
    await connection.close();
  }
});

/** A private libvirtd serving the test driver, as a simulated host has; stopped and removed after `body`. */
async function withDaemon(body: (uri: string, dir: string) => Promise<void>) {
  const dir = join(mkdtempSync(join(tmpdir(), 'virt-hv-')), '1');
  try {
    const hv = await ensureSimulatedHypervisor(dir);
    await body(hv.uri, dir);
  } finally {
    await stopSimulatedHypervisor(dir, 5_000);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

test('through a private libvirtd, what another client (virsh) does arrives as lifecycle events', async (t) => {
  await withDaemon(async (uri, dir) => {
    const connection = await VirtConnection.open(uri);
    try {
      const { uuid, name, xml } = domain();
      const events = recorder(connection, uuid);
      const file = join(dir, 'domain.xml');
      writeFileSync(file, xml);
      const virsh = (...args: string[]) => run('virsh', ['-q', '-c', uri, ...args]);
      await virsh('define', file);
      await events.heard([DEFINED, DETAIL.DEFINED.ADDED]);
      await virsh('start', name);
      await events.heard([STARTED, DETAIL.STARTED.BOOTED]);
      await virsh('suspend', name);
      await events.heard([SUSPENDED, DETAIL.SUSPENDED.PAUSED]);
      t.like(await (await connection.lookupByUUID(uuid)).info(), { state: VIR_DOMAIN_STATE.PAUSED }, 'and our calls see it');
      await virsh('resume', name);
      await events.heard([RESUMED, DETAIL.RESUMED.UNPAUSED]);
      await virsh('destroy', name);
      await events.heard([STOPPED, DETAIL.STOPPED.DESTROYED]);
      await virsh('undefine', name);
      await events.heard([UNDEFINED, DETAIL.UNDEFINED.REMOVED]);
      t.like(events.seen[0], { uuid, name });
      t.is(connection.closedReason, undefined);
    } finally {
      await connection.close();
    }
  });
});

test('kill -9 of the libvirtd fires the close callback (EOF or keepalive); calls then fail as a lost connection', async (t) => {
  await withDaemon(async (uri, dir) => {
    const connection = await VirtConnection.open(uri, { keepAliveInterval: 1, keepAliveCount: 2 });
    try {
      const reasons: number[] = [];
      connection.onClose((reason) => reasons.push(reason));
      t.true(await connection.isAlive());
      const [daemon] = readFileSync(join(dir, 'ready'), 'utf8').trim().split(' ').map(Number);
      process.kill(daemon, 'SIGKILL');
      await eventually(() => !alive(daemon), 10_000);
      await eventually(() => reasons.length > 0, 30_000);
      t.true([VIR_CONNECT_CLOSE_REASON.EOF, VIR_CONNECT_CLOSE_REASON.KEEPALIVE].includes(reasons[0] as 1 | 2), `close reason ${reasons[0]}`);
      t.is(connection.closedReason, reasons[0]);
      t.false(await connection.isAlive());
      // What Nova's libvirt driver takes for a connection to open again (errors.ts: isConnectionLost).
      t.like(await rejection(t, connection.hostname()), { code: VIR_ERR.INTERNAL_ERROR, domain: VIR_FROM.RPC });
    } finally {
      await connection.close();
    }
  });
});

const addonFile = join(import.meta.dirname, '../drivers/libvirt/native/index.cjs');

/**
 * Runs a CommonJS script in a fresh Node, with `addonFile` defined; bounded, so a process kept alive fails
 * the test.
 */
async function child(script: string) {
  try {
    const { stdout } = await run(process.execPath, ['-e', `const addonFile = ${JSON.stringify(addonFile)};\n${script}`], {
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, signal: null, stdout };
  } catch (error) {
    const e = error as { code?: number; signal?: string; stdout?: string };
    return { code: e.code ?? null, signal: e.signal ?? null, stdout: e.stdout ?? '' };
  }
}

test('open connections, their event thread and callbacks neither keep Node alive nor crash it on exit', async (t) => {
  // Left open, events registered and keepalive on: Node still exits when its work is done.
  const idle = await child(`
    const c = new (require(addonFile).Connection)();
    c.open('test:///default', {}, () => {}).then(() => c.hostname()).then(() => console.log('opened'));`);
  t.deepEqual(idle, { code: 0, signal: null, stdout: 'opened\n' });

  // process.exit from inside an event callback, with more events on their way from libvirt's thread.
  const busy = await child(`
    const c = new (require(addonFile).Connection)();
    let n = 0;
    c.open('test:///default', {}, () => { if (++n === 50) { console.log('exiting'); process.exit(0); } }).then(async () => {
      const d = await c.lookupByName('test');
      for (;;) { await d.suspend(); await d.resume(); }
    });`);
  t.deepEqual(busy, { code: 0, signal: null, stdout: 'exiting\n' });

  // Worker threads that used the addon end, and with the last of them Node unloads it, while libvirt's
  // thread goes on running its loop and callbacks in it. Only then does the main thread load it.
  const workers = await child(`
    const { Worker } = require('node:worker_threads');
    const body = \`
      const c = new (require(\${JSON.stringify(addonFile)}).Connection)();
      c.open('test:///default', {}, () => {}).then(() => c.lookupByName('test')).then(async (d) => {
        require('node:worker_threads').parentPort.postMessage('open');
        for (;;) { await d.suspend().catch(() => {}); await d.resume().catch(() => {}); }
      });\`;
    (async () => {
      for (let i = 0; i < 10; i++) {
        const w = new Worker(body, { eval: true });
        await new Promise((r) => w.once('message', r));
        await new Promise((r) => setImmediate(r));
        await w.terminate();
      }
      const c = new (require(addonFile).Connection)();
      await c.open('test:///default', {}, () => {});
      const d = await c.lookupByName('test');
      await d.resume().catch(() => {});
      await d.suspend();
      await d.resume();
      console.log(await c.hostname() ? 'after workers' : '');
    })();`);
  t.deepEqual(workers, { code: 0, signal: null, stdout: 'after workers\n' });
});

// A private QEMU-driver libvirtd as the real host runs one (drivers/qemu/daemon.ts): guests run as root under TCG.
const qemuReady =
  process.getuid?.() === 0 &&
  existsSync('/usr/bin/qemu-system-x86_64') &&
  existsSync('/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so') &&
  existsSync('/usr/bin/unshare');

// A real-guest test: the SQLite pass only, never beside another real-guest or multi-process suite.
lockedSerial(
  test.serial,
  test.serial.skip,
  qemuReady && !onPostgres(),
)('on a private QEMU libvirtd: reboot, reset, ACPI shutdown, managed save and restore, graceful destroy, each with its events', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'virt-qemu-'));
  try {
    const daemon = await ensureQemuHypervisor(dir, { capabilityCacheDir: join(tmpdir(), 'stratus-qemu-capabilities') });
    const connection = await VirtConnection.open(daemon.uri);
    try {
      t.is((await connection.version()).type, 'QEMU');
      const { uuid, xml } = domain('qemu');
      const events = recorder(connection, uuid);
      const d = await connection.defineXML(
        xml
          .replace('<os>', '<features><acpi/><apic/></features><os>')
          .replace("<type arch='x86_64'>", "<type arch='x86_64' machine='pc'>")
          .replace('</domain>', '<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>'),
      );
      await d.create();
      await events.heard([STARTED, DETAIL.STARTED.BOOTED]);
      t.is(typeof (await d.id()), 'number');

      await d.reboot(VIR_DOMAIN_REBOOT.ACPI_POWER_BTN);
      await d.reset();
      await d.shutdown(VIR_DOMAIN_SHUTDOWN.ACPI_POWER_BTN); // asked of a guest with no OS: it stays up
      t.like(
        await rejection(t, d.reboot(VIR_DOMAIN_REBOOT.GUEST_AGENT)),
        { code: VIR_ERR.ARGUMENT_UNSUPPORTED, domain: VIR_FROM.QEMU },
        'no guest agent configured',
      );
      t.like(await d.info(), { state: VIR_DOMAIN_STATE.RUNNING, maxMemKiB: 65536 });

      await d.managedSave();
      await events.heard([STOPPED, DETAIL.STOPPED.SAVED]);
      t.true(await d.hasManagedSaveImage());
      t.like(await d.info(), { state: VIR_DOMAIN_STATE.SHUTOFF });
      await d.create();
      await eventually(() => events.pairs().some(([e, detail]) => e === STARTED && detail === DETAIL.STARTED.RESTORED), 10_000);
      t.false(await d.hasManagedSaveImage(), 'the start restored the image and dropped it');

      await d.destroy(VIR_DOMAIN_DESTROY.GRACEFUL);
      await events.heard([STOPPED, DETAIL.STOPPED.DESTROYED]);
      await d.undefine(VIR_DOMAIN_UNDEFINE.MANAGED_SAVE | VIR_DOMAIN_UNDEFINE.NVRAM);
      await events.heard([UNDEFINED, DETAIL.UNDEFINED.REMOVED]);
    } finally {
      // A guest left running would keep the daemon's mount namespace alive.
      for (const d of await connection.listAllDomains(VIR_CONNECT_LIST_DOMAINS.ACTIVE).catch(() => [])) {
        await connection
          .lookupByUUID(d.uuid)
          .then((x) => x.destroy())
          .catch(() => undefined);
      }
      await connection.close();
    }
  } finally {
    await stopQemuHypervisor(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
