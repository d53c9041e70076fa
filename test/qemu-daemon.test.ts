import test from 'ava';
import { onPostgres } from './helpers/database.js';
import { holdMachineLock } from './helpers/machine-lock.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { domainXml } from '../drivers/libvirt/domain-xml.js';
import { ensureQemuHypervisor, stopQemuHypervisor, type QemuHypervisor } from '../drivers/qemu/daemon.js';
import { diskCacheFor } from '../drivers/qemu/disk-cache.js';
import { consoleLogTail } from '../drivers/qemu/console-log.js';
import { qemuGuests, runningWith } from '../drivers/qemu/processes.js';
import { pickSerialPort, portIsFree } from '../drivers/qemu/serial-ports.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';
import { vncPassword } from '../drivers/qemu/vnc-password.js';
import { TINY_BANNER, tinyImage } from '../http/images/tiny-image.js';
import { eventually } from './helpers/drive.js';
import { alive } from './helpers/processes.js';

// Real daemons and a real guest, one after the other: each test builds on the state the previous one left.
// The state directory is short (unix socket paths are limited to 107 bytes) and this file's own.
const root = mkdtempSync('/tmp/qd-');
const dirA = join(root, 'a');
const dirB = join(root, 'b');
// Both daemons share one capability cache: only the first pays QEMU's probe.
const options = { capabilityCacheDir: join(root, 'caps'), timeoutMs: 120_000 };
const uuid = '5e7a7c1e-0000-4000-8000-00000000d0d0';
const instanceDir = join(root, 'instances', uuid);
const consoleLog = join(instanceDir, 'console.log');

const virsh = async (h: QemuHypervisor, ...args: string[]) => (await promisify(execFile)('virsh', ['-q', '-c', h.uri, ...args])).stdout.trim();
const names = async (h: QemuHypervisor) => (await virsh(h, 'list', '--all', '--name')).split('\n').filter(Boolean);

/** Every process whose command line has `-uuid <uuid>`: found from /proc, not from the daemon's state. */
function qemuPidsOf(id: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const at = args.indexOf('-uuid');
        return at >= 0 && args[at + 1] === id;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(alive);
}

/** The security types a VNC server offers after the version handshake (RFB 3.8). */
function vncSecurityTypes(port: number): Promise<{ banner: string; types: number[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('VNC server did not answer')), 10_000);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length === 12) socket.write('RFB 003.008\n');
      if (data.length > 12 && data.length >= 13 + data[12]) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ banner: data.subarray(0, 12).toString('latin1'), types: [...data.subarray(13, 13 + data[12])] });
      }
    });
    socket.on('error', reject);
  });
}

let a: QemuHypervisor;
let qemuPid: number;
let serialPort: number;

// A real-guest suite: the SQLite pass only, never beside another real-guest or multi-process suite.
const serial = onPostgres() ? test.serial.skip : test.serial;
let release = () => {};
test.before(async () => {
  if (!onPostgres()) release = await holdMachineLock();
});

test.after.always(async () => {
  try {
    await stopQemuHypervisor(dirA);
    await stopQemuHypervisor(dirB);
    for (const pid of qemuPidsOf(uuid)) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  } finally {
    release();
  }
});

serial('a private daemon boots a TCG guest of stratus-tiny: banner in the console log, QEMU with its -uuid, VNC with a password', async (t) => {
  const started = Date.now();
  a = await ensureQemuHypervisor(dirA, options);
  t.log(`first start, capability probe included: ${Date.now() - started} ms`);
  t.false(a.reused);
  t.true(runningWith(a.pids.libvirtd, dirA) && runningWith(a.pids.virtlogd, dirA));
  t.deepEqual(await names(a), []);

  mkdirSync(instanceDir, { recursive: true });
  writeFileSync(join(instanceDir, 'disk'), tinyImage());
  serialPort = await pickSerialPort('127.0.0.1', new Set());
  const password = vncPassword();
  const cache = diskCacheFor(instanceDir);
  t.log(`disk cache mode on this filesystem: ${cache}`);
  const xml = domainXml({
    uuid,
    memoryMb: 32,
    vcpus: 1,
    type: virtTypeFor('auto'),
    diskPath: join(instanceDir, 'disk'),
    diskCache: cache,
    serial: { host: '127.0.0.1', port: serialPort, logPath: consoleLog },
    graphics: { listen: '127.0.0.1', vncPassword: password },
  });
  writeFileSync(join(root, 'domain.xml'), xml);
  await virsh(a, 'define', join(root, 'domain.xml'));
  await virsh(a, 'start', uuid);

  await eventually(async () => (await consoleLogTail(consoleLog)).includes(TINY_BANNER), 60_000, 100);
  t.is(await consoleLogTail(consoleLog), `${TINY_BANNER}\r\n`);
  const pids = qemuPidsOf(uuid);
  t.is(pids.length, 1, 'one QEMU runs with -uuid of the domain');
  qemuPid = pids[0];
  t.deepEqual(qemuGuests(dirA), [{ uuid, pid: qemuPid }], 'the daemon’s runtime state names the same process');
  t.false(await portIsFree('127.0.0.1', serialPort), 'QEMU listens on the serial console port');

  const live = await virsh(a, 'dumpxml', '--security-info', uuid);
  t.true(live.includes(`passwd='${password}'`));
  t.true(live.includes(`cache='${cache}'`), 'QEMU opened the disk with the cache mode chosen for its filesystem');
  const vnc = await vncSecurityTypes(Number(/<graphics type='vnc' port='(\d+)'/.exec(live)![1]));
  t.is(vnc.banner, 'RFB 003.008\n');
  t.deepEqual(vnc.types, [2], 'with a password QEMU offers VNC authentication only');
  t.regex(live, /<graphics type='spice' port='\d+'/);
});

serial('nothing is written outside the state directory: libvirt’s files for the domain are in it instead', (t) => {
  const outside = [`/etc/libvirt/qemu/${uuid}.xml`, `/var/log/libvirt/qemu/${uuid}.log`, `/run/libvirt/qemu/${uuid}.xml`];
  for (const file of outside) t.false(existsSync(file), `${file} exists on the machine`);
  const inside = [join(dirA, 'etc', 'qemu', `${uuid}.xml`), join(dirA, 'log', 'qemu', `${uuid}.log`), join(dirA, 'run', 'qemu', `${uuid}.xml`)];
  for (const file of inside) t.true(existsSync(file), `${file} is missing`);
  t.truthy(readdirSync(join(root, 'caps')).length, 'the capability cache went to the shared folder');
});

serial('ensuring it again reuses the running daemons: same boot id, the guest still there', async (t) => {
  const started = Date.now();
  const again = await ensureQemuHypervisor(dirA, options);
  t.log(`reuse: ${Date.now() - started} ms`);
  t.like(again, { reused: true, bootId: a.bootId, uri: a.uri, pids: a.pids });
  t.is(await virsh(again, 'domstate', uuid), 'running');
  t.deepEqual(qemuPidsOf(uuid), [qemuPid]);
});

serial('kill -9 of libvirtd leaves the guest running; ensuring again starts libvirtd, which re-attaches it', async (t) => {
  process.kill(a.pids.libvirtd, 'SIGKILL');
  await eventually(() => !alive(a.pids.libvirtd), 10_000);
  t.true(alive(qemuPid), 'QEMU outlives libvirtd');

  const started = Date.now();
  const back = await ensureQemuHypervisor(dirA, options);
  t.log(`libvirtd started again: ${Date.now() - started} ms`);
  t.false(back.reused);
  t.not(back.pids.libvirtd, a.pids.libvirtd);
  t.is(back.pids.virtlogd, a.pids.virtlogd, 'virtlogd kept running and is kept');
  t.is(back.bootId, a.bootId, 'the guests survived, so it is the same boot');
  t.is(await virsh(back, 'domstate', uuid), 'running');
  t.deepEqual(qemuPidsOf(uuid), [qemuPid]);
  a = back;
});

serial('kill -9 of virtlogd: ensuring again starts virtlogd alone, in the same arrangement', async (t) => {
  process.kill(a.pids.virtlogd, 'SIGKILL');
  await eventually(() => !alive(a.pids.virtlogd), 10_000);
  const back = await ensureQemuHypervisor(dirA, options);
  t.false(back.reused);
  t.is(back.pids.libvirtd, a.pids.libvirtd);
  t.not(back.pids.virtlogd, a.pids.virtlogd);
  t.true(existsSync(join(dirA, 'run', 'virtlogd-sock')), 'its socket is where libvirtd looks for it: /run/libvirt in the namespace');
  t.false(existsSync('/run/libvirt/virtlogd-sock'));
  t.deepEqual(qemuPidsOf(uuid), [qemuPid]);
  a = back;
});

serial('two daemons in two directories never see each other’s domains', async (t) => {
  const b = await ensureQemuHypervisor(dirB, options);
  t.false(b.reused);
  t.not(b.uri, a.uri);
  t.not(b.bootId, a.bootId);
  t.deepEqual(await names(b), []);
  const other = '5e7a7c1e-0000-4000-8000-00000000b0b0';
  writeFileSync(join(root, 'other.xml'), domainXml({ uuid: other, memoryMb: 32, vcpus: 1, type: 'qemu' }));
  await virsh(b, 'define', join(root, 'other.xml'));
  t.deepEqual(await names(b), [other]);
  t.deepEqual(await names(a), [uuid]);
  t.not(
    await virsh(a, 'capabilities').then((c) => /<uuid>([^<]+)<\/uuid>/.exec(c)?.[1]),
    await virsh(b, 'capabilities').then((c) => /<uuid>([^<]+)<\/uuid>/.exec(c)?.[1]),
    'distinct host UUIDs',
  );
  await stopQemuHypervisor(dirB);
});

serial('stop ends the daemons and the guests; the next start is a new boot with the domain shut off', async (t) => {
  await stopQemuHypervisor(dirA);
  t.false(runningWith(a.pids.libvirtd, dirA));
  t.false(runningWith(a.pids.virtlogd, dirA));
  t.deepEqual(qemuPidsOf(uuid), []);
  t.false(alive(qemuPid));

  const next = await ensureQemuHypervisor(dirA, options);
  t.false(next.reused);
  t.not(next.bootId, a.bootId);
  t.is(await virsh(next, 'domstate', uuid), 'shut off', 'the definition stays, the guest does not run');
  await stopQemuHypervisor(dirA);
  t.false(runningWith(next.pids.libvirtd, dirA));
});

serial('a state directory too deep for a unix socket path is refused with a clear message', async (t) => {
  const error = await t.throwsAsync(ensureQemuHypervisor(join('/tmp', 'd'.repeat(90), 'hv')));
  t.regex(error.message, /longer than 107 bytes: choose a shorter stateDir/);
});
