import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { PowerState } from '../drivers/libvirt/power-state.js';
import { readRow } from '../models/typed.js';
import { at, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { holdMachineLock } from './helpers/machine-lock.js';
import { qemuPidOf } from './helpers/qemu.js';
import { probeVirtType } from '../drivers/qemu/virt-probe.js';

// stratus-linux on the real host under TCG, through the API: built from Debian packages (once per machine) and
// registered at start; booted with a key pair, user data, an admin password, a config drive and a flavor with
// ephemeral and swap disks. What the guest says on its serial console is read through the console-output API; root
// logs in over the guest's TCP serial port. The SQLite pass only, holding the machine lock.
const run = onPostgres() ? test.serial.skip : test.serial;
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');

let c: ComputeCloud;
let qemuDir: string;
let host: string;
let release = () => {};
let imageId: string;
let first: { id: string; port: number; adminPass: string };

test.before(async () => {
  if (onPostgres()) return;
  release = await holdMachineLock();
  c = await startComputeCloud('linux-guest', {
    libvirt: { realHost: true, simulatedHosts: 0 },
    qemu: { linuxImage: true, stoppedEventDelayMs: 1_000, powerSyncMs: 1_500, capabilityCacheDir: CAPABILITIES },
  });
  qemuDir = join(c.config.stateDir, 'qemu', '1');
  host = `qemu-${c.config.nodeId}`;
  imageId = (await readRow(c.cloud.db.models.Image, { where: { name: 'stratus-linux', os_hidden: false } }))?.id ?? '';
});
test.after.always(async () => {
  try {
    if (c) await c.stop();
  } finally {
    if (qemuDir) await stopQemuHypervisor(qemuDir);
    release();
  }
});

const consoleOutput = async (id: string): Promise<string> => {
  const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': {} } });
  return r.status === 200 ? (r.body.output as string) : '';
};
const server = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') })).body.server;
const bannerOf = async (id: string, timeoutMs = 150_000): Promise<string> => {
  let line = '';
  await eventually(
    async () => {
      line = (await consoleOutput(id)).split('\n').find((l) => l.startsWith('STRATUS-LINUX ')) ?? '';
      return line !== '';
    },
    timeoutMs,
    500,
  );
  return line;
};

/** Logs in on the serial console's TCP server and runs one command; answers what came back. */
async function serialLogin(port: number, password: string, command: string, expect: RegExp, timeoutMs = 60_000): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let seen = '';
  socket.on('data', (d: Buffer) => (seen += d.toString('latin1')));
  socket.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const waitFor = async (what: RegExp, poke?: string) => {
      await eventually(
        () => {
          if (poke !== undefined) socket.write(poke);
          return what.test(seen);
        },
        timeoutMs,
        1_000,
      );
    };
    await waitFor(/login: $/m, '\r');
    seen = '';
    socket.write('root\r');
    await waitFor(/Password: ?$/m);
    seen = '';
    socket.write(`${password}\r`);
    // ash's prompt, which ends in a cursor-position query (ESC [6n).
    await waitFor(/# /);
    seen = '';
    socket.write(`${command}\r`);
    await waitFor(expect);
    return seen;
  } finally {
    // Logged out, so that getty asks the next client for a login again.
    await new Promise<void>((resolve) => socket.end('exit\r', resolve));
    socket.destroy();
  }
}

run('stratus-linux is registered beside stratus-tiny, public, qcow2', async (t) => {
  t.truthy(imageId, 'the image is registered');
  const image = (await readRow(c.cloud.db.models.Image, { where: { id: imageId } }))!;
  t.like(image, { name: 'stratus-linux', status: 'active', visibility: 'public', disk_format: 'qcow2' });
  t.false(Boolean(image.os_hidden));
});

run(
  'a boot with a key pair, user data, an admin password and ephemeral + swap: the banner names them all; root logs in with adminPass',
  async (t) => {
    const flavor = await c.nova.call('POST', '/v2.1/flavors', {
      token: c.admin,
      body: { flavor: { name: 'linux.eph', ram: 256, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 1, swap: 64 } },
    });
    t.is(flavor.status, 200);
    const keypair = await c.nova.call('POST', '/v2.1/os-keypairs', { token: c.demo, body: { keypair: { name: 'linux-key' } } });
    t.is(keypair.status, 200);
    const userData = Buffer.from('#!/bin/sh\necho user-data-ran-$((6 * 7))\n');
    const adminPass = 'Pa55-w0rd.';
    const r = await c.nova.call('POST', '/v2.1/servers', {
      token: c.demo,
      body: {
        server: {
          name: 'linux one',
          imageRef: imageId,
          flavorRef: flavor.body.flavor.id,
          key_name: 'linux-key',
          user_data: userData.toString('base64'),
          adminPass,
          config_drive: true,
        },
      },
    });
    t.is(r.status, 202);
    t.is(r.body.server.adminPass, adminPass);
    const id = r.body.server.id as string;
    const banner = await bannerOf(id);
    const s = await server(id);
    t.is(s.status, 'ACTIVE');
    t.true(banner.includes(`uuid=${id}`), banner);
    t.true(banner.includes(`hostname=${s['OS-EXT-SRV-ATTR:hostname']}.novalocal`), banner);
    const shown = (await c.nova.call('GET', '/v2.1/os-keypairs/linux-key', { token: c.demo })).body.keypair;
    t.true(banner.includes(`key-md5=${shown.fingerprint}`), `${banner} vs ${shown.fingerprint}`);
    t.true(banner.includes(`user-data-sha256=${createHash('sha256').update(userData).digest('hex')}`), banner);
    const mapping = await readRow(c.cloud.db.models.InstanceIdMapping, { where: { uuid: id } });
    t.true(banner.includes(`ec2-instance-id=i-${mapping!.id.toString(16).padStart(8, '0')}`), banner);
    t.true(banner.includes(`vda=${1024 ** 3}`), banner);
    t.true(banner.includes(`vdb=${1024 ** 3}`), banner);
    t.true(banner.includes(`vdc=${64 * 1024 ** 2}`), banner);
    t.regex(await consoleOutput(id), /user-data-ran-42/);
    t.is((await readRow(c.cloud.db.models.Instance, { where: { uuid: id } }))!.admin_pass, null, 'the password is not kept past the build');

    const port = Number(readFileSync(join(c.config.stateDir, 'instances', host, id, 'serial-port'), 'utf8'));
    const answer = await serialLogin(port, adminPass, 'dropbear -V 2>&1; echo logged-in-as-$(id -u)', /logged-in-as-0/);
    t.regex(answer, /logged-in-as-0/);
    t.regex(answer, /Dropbear v\d+/, 'dropbear runs: its libraries and loader are in the guest');
    first = { id, port, adminPass };
  },
);

run('a reboot typed in the guest: it boots again and the server never shows SHUTOFF', async (t) => {
  const { id, port, adminPass } = first;
  const banners = async () => (await consoleOutput(id)).split('\n').filter((l) => l.startsWith('STRATUS-LINUX ')).length;
  const before = await banners();
  await serialLogin(port, adminPass, 'reboot', /reboot|Restarting|SeaBIOS/);
  const seen = new Set<string>();
  await eventually(
    async () => {
      seen.add((await server(id)).status as string);
      return (await banners()) > before;
    },
    120_000,
    250,
  );
  t.deepEqual([...seen], ['ACTIVE']);
  t.is((await server(id)).status, 'ACTIVE');
});

run('user data that powers the guest off: the server ends SHUTOFF', async (t) => {
  const r = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: {
      server: {
        name: 'linux two',
        imageRef: imageId,
        flavorRef: '1',
        user_data: Buffer.from('#!/bin/sh\necho powering-off\npoweroff\n').toString('base64'),
        config_drive: true,
      },
    },
  });
  t.is(r.status, 202);
  const id = r.body.server.id as string;
  await bannerOf(id);
  await eventually(
    async () => {
      const s = await server(id);
      return s.status === 'SHUTOFF' && s['OS-EXT-STS:power_state'] === PowerState.SHUTDOWN && s['OS-EXT-STS:task_state'] === null;
    },
    90_000,
    500,
  );
  t.is((await server(id)).status, 'SHUTOFF');
});

run(
  'virtType auto: a probe boot under KVM decided TCG on this machine, kept beside the build; guests run under TCG (one without config_drive has no drive)',
  async (t) => {
    const inputs = (await readRow(c.cloud.db.models.ImageProperty, { where: { image_id: imageId, name: 'stratus_linux_inputs' } }))!.value;
    // The probe runs only where /dev/kvm exists (some machines of this kind have none: TCG then, no probe).
    if (existsSync('/dev/kvm')) t.is(readFileSync(join(c.config.qemu.linuxImageCacheDir, inputs, 'virt-type'), 'utf8').trim(), 'qemu');
    else t.log('no /dev/kvm on this machine: TCG without a probe boot');
    const r = await c.nova.call('POST', '/v2.1/servers', { token: c.demo, body: { server: { name: 'tcg', imageRef: imageId, flavorRef: '1' } } });
    t.is(r.status, 202);
    const id = r.body.server.id as string;
    await eventually(() => qemuPidOf(id) !== undefined, 60_000, 200);
    const cmdline = readFileSync(`/proc/${qemuPidOf(id)}/cmdline`, 'latin1')
      .split('\0')
      .join(' ');
    t.regex(cmdline, /accel=tcg|-accel tcg/);
    t.notRegex(cmdline, /accel=kvm|-accel kvm/);
    t.false(existsSync(join(c.config.stateDir, 'instances', host, id, 'disk.config')), 'no config drive unless asked for');
    t.notRegex(cmdline, /disk\.config/);
  },
);

run('a kept verdict is used without booting anything', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'st-probe-'));
  try {
    writeFileSync(join(dir, 'virt-type'), 'kvm\n');
    t.is(await probeVirtType({ disk: join(dir, 'no-such-disk'), banner: 'X', cacheFile: join(dir, 'virt-type') }), 'kvm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
