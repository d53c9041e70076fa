import test from 'ava';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../cluster.config.js';
import { linuxImageId, registerBuiltImage, registerLinuxImage } from '../bin/linux-image.js';
import { cpioNewc } from '../drivers/qemu/linux-guest/cpio.js';
import { dependsOf } from '../drivers/qemu/linux-guest/build.js';
import { silentLogger } from '../runtime/logger.js';
import { ADMIN_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// Registering stratus-linux builds on the image service (both passes): a new digest is a new image and hides the
// earlier one, which stays readable by id; no archive → no image, a warning, and the start carries on. The build's
// own pieces (cpio, module dependencies) on bytes made here. The real build and boot: linux-guest.test.ts.

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startImageServer>>;
let token: string;
let owner: string;
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-linux-image-'));
  dirs.push(dir);
  return dir;
};

test.before(async () => {
  database = await createTestDatabase('linux-image');
  server = await startImageServer(database.url);
  owner = (await server.identity.identity.services.directory.projectByName('admin', 'default'))!.id;
  token = (await client(server.identity.url).login('admin', ADMIN_PASSWORD, 'admin')).token!;
});
test.after.always(async () => {
  await server?.stop();
  await database?.drop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const build = (inputs: string, bytes: string) => {
  const path = join(scratch(), 'stratus-linux.qcow2');
  writeFileSync(path, bytes);
  return { path, inputs, kernelVersion: '6.1.0-0-cloud-amd64' };
};

test.serial('a build is registered once, public; a new digest is a new image and hides the earlier one', async (t) => {
  const glance = client(server.url);
  const first = await registerBuiltImage(server.images, owner, build('aaaa', 'first build'), silentLogger());
  t.is(first, linuxImageId('aaaa'));
  t.is(await registerBuiltImage(server.images, owner, build('aaaa', 'first build'), silentLogger()), first, 'the same digest: the same image');
  const shown = (await glance.call('GET', `/v2/images/${first}`, { token })).body;
  t.like(shown, {
    name: 'stratus-linux',
    visibility: 'public',
    disk_format: 'qcow2',
    os_hidden: false,
    stratus_linux_inputs: 'aaaa',
    os_type: 'linux',
  });

  const second = await registerBuiltImage(server.images, owner, build('bbbb', 'second build'), silentLogger());
  t.not(second, first);
  const listed = (await glance.call('GET', '/v2/images?name=stratus-linux', { token })).body.images as Array<{ id: string }>;
  t.deepEqual(
    listed.map((i) => i.id),
    [second],
  );
  const old = (await glance.call('GET', `/v2/images/${first}`, { token })).body;
  t.like(old, { status: 'active', os_hidden: true }, 'hidden, still there for the servers booted from it');
  const data = await fetch(`${server.url}/v2/images/${first}/file`, { headers: { 'x-auth-token': token } });
  t.is(await data.text(), 'first build');
});

test.serial('without Debian’s archive no image is registered, the start carries on and says so', async (t) => {
  // apt-get and apt-cache as they fail offline, first on PATH.
  const bin = scratch();
  for (const tool of ['apt-get', 'apt-cache']) {
    writeFileSync(join(bin, tool), '#!/bin/sh\necho "E: Failed to fetch: Temporary failure resolving \'deb.debian.org\'" >&2\nexit 100\n');
    chmodSync(join(bin, tool), 0o755);
  }
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const cacheDir = join(scratch(), 'linux');
  const config = loadConfig({ env: {}, allowTestOnly: true, overrides: { qemu: { linuxImageCacheDir: cacheDir } } });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path ?? ''}`;
  try {
    t.is(await registerLinuxImage(config, server.images, owner, logger), undefined);
  } finally {
    process.env.PATH = path;
  }
  t.true(
    lines.some((l) => /stratus-linux could not be built/.test(l) && /"level":40/.test(l)),
    lines.join(''),
  );
  t.deepEqual(existsSync(cacheDir) ? readdirSync(cacheDir) : [], [], 'no half build left');
});

test('the initramfs is a newc cpio the kernel reads: headers, names, padding, trailer', (t) => {
  const archive = cpioNewc([
    { kind: 'dir', path: 'etc' },
    { kind: 'file', path: 'etc/x', data: Buffer.from('hello'), mode: 0o644 },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
  ]);
  t.is(archive.length % 4, 0);
  t.is(archive.subarray(0, 6).toString(), '070701');
  const file = archive.indexOf('etc/x\0');
  const header = archive.subarray(file - 110, file).toString();
  t.is(parseInt(header.slice(14, 22), 16), 0o100644, 'mode');
  t.is(parseInt(header.slice(54, 62), 16), 5, 'size');
  t.is(archive.indexOf('hello') % 4, 0, 'data 4-aligned');
  const dev = archive.indexOf('dev/console\0');
  const devHeader = archive.subarray(dev - 110, dev).toString();
  t.deepEqual([parseInt(devHeader.slice(78, 86), 16), parseInt(devHeader.slice(86, 94), 16)], [5, 1], 'rdev 5:1');
  t.true(archive.includes('TRAILER!!!\0'));
});

test('a module’s dependencies are read from its modinfo strings', (t) => {
  t.deepEqual(dependsOf(Buffer.from('\0license=GPL\0depends=virtio_ring,virtio-pci\0vermagic=6.1\0')), ['virtio_ring', 'virtio_pci']);
  t.deepEqual(dependsOf(Buffer.from('\0depends=\0name=x\0')), []);
  t.deepEqual(dependsOf(Buffer.from('no modinfo')), []);
});
