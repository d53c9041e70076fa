import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pino } from 'pino';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { at, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { client } from './helpers/identity.js';
import { upload } from './helpers/image-upload.js';
import { holdMachineLock } from './helpers/machine-lock.js';

// Real disks on the real host: images fetched from the image service into the host's cache, qcow2 overlays,
// ephemeral and swap disks, and hostile images refused, all through the API with a private QEMU libvirtd and real
// qemu-img. The SQLite pass only: real guests are slow and the PostgreSQL pass would only repeat them.
const run = onPostgres() ? test.serial.skip : test.serial;
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');
const MAX_AGE_S = 8;

let c: ComputeCloud;
let qemuDir: string;
let hv: LibvirtConnection;
let host: string;
let scratch: string;
let limitsDir: string;
let savedPath: string | undefined;
let disksFlavor: string;
const lines: Array<Record<string, unknown>> = [];

// The cloud's own log lines (the image service's request log among them), as its logger writes them.
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const fileGets = (image: string) => lines.filter((l) => l.msg === 'request' && l.method === 'GET' && l.path === `/v2/images/${image}/file`).length;

const instancesDir = () => join(c.config.stateDir, 'instances', host);
const baseOf = (image: string) => join(instancesDir(), '_base', createHash('sha1').update(image).digest('hex'));
const server = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') })).body.server;
const settled = async (id: string, timeoutMs = 60_000) => {
  let s: any;
  await eventually(
    async () => {
      s = await server(id);
      return s.status === 'ACTIVE' || s.status === 'ERROR';
    },
    timeoutMs,
    100,
  );
  return s;
};
const bootOf = async (name: string, imageRef: string, flavorRef: string, extra: object = {}) => {
  const r = await c.nova.call('POST', '/v2.1/servers', { token: c.demo, body: { server: { name, imageRef, flavorRef, ...extra } } });
  if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.server.id as string;
};
const deleted = async (id: string) => {
  await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo });
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.demo })).status === 404, 60_000, 100);
};
// The live definition as libvirt holds it (with the backing chain it read from the overlay's header).
const dumpxml = (id: string) => execFileSync('virsh', ['-q', '-c', hv.uri, 'dumpxml', id], { encoding: 'utf8' });
const qemuImgInfo = (path: string, ...more: string[]) =>
  JSON.parse(execFileSync('/usr/bin/qemu-img', ['info', '-U', '--output=json', ...more, path], { encoding: 'utf8' }));

/** An image of the demo project with these bytes, as `disk_format`, active. */
async function imageOf(name: string, file: string, diskFormat: string): Promise<string> {
  const glance = client(c.cloud.images!.url);
  const created = await glance.call('POST', '/v2/images', { token: c.demo, body: { name, disk_format: diskFormat, container_format: 'bare' } });
  const id = created.body.id as string;
  const put = await upload(`${c.cloud.images!.url}/v2/images/${id}/file`, c.demo, readFileSync(file));
  if (put.status !== 204) throw new Error(`upload answered ${put.status}`);
  return id;
}

let release = () => {};
test.before(async () => {
  if (onPostgres()) return;
  // Never beside another real-guest or multi-process suite: TCG guests share two cores.
  release = await holdMachineLock();
  scratch = join(tmpdir(), `stratus-disks-${process.pid}`);
  limitsDir = join(scratch, 'limits');
  mkdirSync(limitsDir, { recursive: true });
  // A qemu-img found first on PATH that records the limits of its own process, then becomes the real qemu-img
  // (exec keeps the pid and the limits): what every qemu-img the cloud runs was given, read from /proc.
  const wrapper = join(scratch, 'bin');
  mkdirSync(wrapper);
  writeFileSync(join(wrapper, 'qemu-img'), `#!/bin/sh\ncat /proc/$$/limits > '${limitsDir}/'$$\nexec /usr/bin/qemu-img "$@"\n`);
  chmodSync(join(wrapper, 'qemu-img'), 0o755);
  // The crafted images, made before the cloud runs in this process (qemu-img run synchronously would stall it).
  const secret = join(scratch, 'host-secret');
  writeFileSync(secret, 'the host’s own file\n'.repeat(100));
  const make = (...args: string[]) => execFileSync('/usr/bin/qemu-img', ['create', '-q', ...args]);
  make('-f', 'qcow2', '-F', 'raw', '-b', secret, join(scratch, 'evil.qcow2'), '64M');
  make('-f', 'qcow2', join(scratch, 'big.qcow2'), '2G');
  make('-f', 'vmdk', join(scratch, 'disk.vmdk'), '16M');
  mkdirSync(join(scratch, 'cd'));
  writeFileSync(join(scratch, 'cd', 'hello.txt'), 'hello\n');
  execFileSync('genisoimage', ['-quiet', '-V', 'STRATUS', '-o', join(scratch, 'cd.iso'), join(scratch, 'cd')]);
  savedPath = process.env.PATH;
  process.env.PATH = `${wrapper}:${savedPath}`;
  c = await startComputeCloud(
    'real-disks',
    {
      libvirt: { realHost: true, simulatedHosts: 1 },
      qemu: { capabilityCacheDir: CAPABILITIES, imageCacheMaxAgeS: MAX_AGE_S, imageCacheSweepMs: 1_000 },
      timeouts: { reportIntervalMs: 300, serviceDownMs: 2_000, cleanShutdownMs: 2_000 },
    },
    undefined,
    { logger: pino({ level: 'info' }, logStream) },
  );
  qemuDir = join(c.config.stateDir, 'qemu', '1');
  host = `qemu-${c.config.nodeId}`;
  hv = new LibvirtConnection(c.cloud.hosts.find((h) => h.name === host)!.uri);
  const flavor = await c.nova.call('POST', '/v2.1/flavors', {
    token: c.admin,
    body: { flavor: { name: 'disks', ram: 128, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 1, swap: 16 } },
  });
  if (flavor.status !== 200) throw new Error(`flavor answered ${flavor.status}`);
  disksFlavor = flavor.body.flavor.id as string;
});
test.after.always(async () => {
  try {
    if (savedPath !== undefined) process.env.PATH = savedPath;
    if (!c) return;
    await hv.close();
    await c.stop();
  } finally {
    // A graceful stop leaves real guests running, as stopping nova-compute does: the test stops the daemon itself.
    if (qemuDir) await stopQemuHypervisor(qemuDir);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    release();
  }
});

const running: string[] = [];

run('two first boots of an image at once fetch it once; root, ephemeral and swap are qcow2 overlays on cached bases', async (t) => {
  const r = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: { server: { name: 'pair', imageRef: TINY_IMAGE_ID, flavorRef: disksFlavor, min_count: 2, max_count: 2, return_reservation_id: true } },
  });
  t.is(r.status, 202, JSON.stringify(r.body));
  const reservation = r.body.reservation_id as string;
  let ids: string[] = [];
  await eventually(
    async () => {
      const list = (await c.nova.call('GET', `/v2.1/servers?reservation_id=${reservation}`, { token: c.demo })).body.servers;
      ids = list.map((s: { id: string }) => s.id);
      return ids.length === 2;
    },
    30_000,
    100,
  );
  for (const id of ids) t.is((await settled(id)).status, 'ACTIVE');
  running.push(...ids);
  t.is(fileGets(TINY_IMAGE_ID), 1, 'one GET /v2/images/{id}/file for both');
  const base = baseOf(TINY_IMAGE_ID);
  const tiny = (await client(c.cloud.images!.url).call('GET', `/v2/images/${TINY_IMAGE_ID}`, { token: c.demo })).body;
  t.is(createHash('md5').update(readFileSync(base)).digest('hex'), tiny.checksum, 'the base holds the image’s bytes');
  const folder = join(instancesDir(), ids[0]);
  const root = qemuImgInfo(join(folder, 'disk'));
  t.is(root.format, 'qcow2');
  t.is(root['full-backing-filename'], base);
  t.is(root['backing-filename-format'], 'raw', 'a raw image stays raw under its overlay');
  t.is(root['virtual-size'], 1024 ** 3, 'grown to the flavor’s root_gb');
  const ephemeral = qemuImgInfo(join(folder, 'disk.local'));
  t.is(ephemeral['virtual-size'], 1024 ** 3);
  t.regex(ephemeral['full-backing-filename'], /_base\/ephemeral_1_vfat$/);
  const swap = qemuImgInfo(join(folder, 'disk.swap'));
  t.is(swap['virtual-size'], 16 * 1024 ** 2);
  t.regex(swap['full-backing-filename'], /_base\/swap_16$/);
  const xml = dumpxml(ids[0]);
  for (const [dev, file] of [
    ['vda', 'disk'],
    ['vdb', 'disk.local'],
    ['vdc', 'disk.swap'],
  ])
    t.regex(
      xml,
      new RegExp(
        `<driver name='qemu' type='qcow2'[^>]*/>\\s*<source file='${join(folder, file)}'[^>]*/>[\\s\\S]*?<target dev='${dev}' bus='virtio'/>`,
      ),
    );
  // The guest really runs from its overlay: stratus-tiny prints its banner.
  await eventually(() => readFileSync(join(folder, 'console.log'), 'utf8').includes('STRATUS-TINY'), 60_000, 200);
});

run('a second boot from a cached image fetches nothing and leaves the base file as it was (same inode)', async (t) => {
  const base = baseOf(TINY_IMAGE_ID);
  const inode = statSync(base).ino;
  const id = await bootOf('again', TINY_IMAGE_ID, '1');
  t.is((await settled(id)).status, 'ACTIVE');
  running.push(id);
  t.is(fileGets(TINY_IMAGE_ID), 1, 'no second GET /v2/images/{id}/file');
  t.is(statSync(base).ino, inode);
});

run('every qemu-img the host ran had Nova’s limits: 30 s of CPU, 1 GiB of address space (read from /proc/<pid>/limits)', (t) => {
  const seen = readdirSync(limitsDir);
  t.true(seen.length >= 3, `qemu-img ran ${seen.length} times`);
  for (const pid of seen) {
    const limits = readFileSync(join(limitsDir, pid), 'utf8');
    t.regex(limits, /^Max cpu time\s+30\s+30\s+seconds/m);
    t.regex(limits, /^Max address space\s+1073741824\s+1073741824\s+bytes/m);
  }
});

run(
  'a qcow2 naming a host file as its backing file: as qcow2 refused with a fault; as raw used as raw, the host file never in its chain',
  async (t) => {
    const secret = join(scratch, 'host-secret');
    const evil = join(scratch, 'evil.qcow2');
    const asQcow2 = await imageOf('evil-qcow2', evil, 'qcow2');
    const refused = await bootOf('evil-qcow2', asQcow2, '1');
    const s = await settled(refused);
    t.is(s.status, 'ERROR');
    t.is(s.fault.code, 500);
    t.is(s.fault.message, `Build of instance ${refused} aborted: Image ${asQcow2} is unacceptable: fmt=qcow2 backed by: ${secret}`);
    t.is(await hv.status(refused), undefined, 'never defined, never booted');
    t.false(existsSync(join(instancesDir(), refused)), 'no instance folder left');

    const asRaw = await imageOf('evil-raw', evil, 'raw');
    const id = await bootOf('evil-raw', asRaw, '1');
    t.is((await settled(id)).status, 'ACTIVE');
    running.push(id);
    const disk = join(instancesDir(), id, 'disk');
    const chain = qemuImgInfo(disk, '--backing-chain') as Array<{ filename: string; format: string }>;
    t.deepEqual(
      chain.map((l) => [l.filename, l.format]),
      [
        [disk, 'qcow2'],
        [baseOf(asRaw), 'raw'],
      ],
    );
    t.false(JSON.stringify(chain).includes(secret));
    const xml = dumpxml(id);
    t.false(xml.includes(secret), 'the domain never names the host file');
    t.regex(xml, /<backingStore type='file'[^>]*>\s*<format type='raw'\/>/, 'the domain opens the image as raw');
  },
);

run('an image larger than the flavor’s disk is refused with a fault, never booted', async (t) => {
  const image = await imageOf('big', join(scratch, 'big.qcow2'), 'qcow2');
  const id = await bootOf('big', image, '1');
  const s = await settled(id);
  t.is(s.status, 'ERROR');
  t.is(
    s.fault.message,
    `Build of instance ${id} aborted: Flavor's disk is too small for requested image. Flavor disk is ${1024 ** 3} bytes, image is ${2 * 1024 ** 3} bytes.`,
  );
  t.is(await hv.status(id), undefined);
});

run('an iso image is attached read-only as an IDE cdrom booted first, beside a blank root disk of the flavor’s size', async (t) => {
  const image = await imageOf('iso', join(scratch, 'cd.iso'), 'iso');
  const id = await bootOf('iso', image, '1');
  t.is((await settled(id)).status, 'ACTIVE');
  running.push(id);
  const xml = dumpxml(id);
  t.regex(
    xml,
    new RegExp(
      `<disk type='file' device='cdrom'>[\\s\\S]*?<source file='${baseOf(image)}'[^>]*/>[\\s\\S]*?<target dev='hda' bus='ide'/>\\s*<readonly/>`,
    ),
  );
  t.regex(xml, /<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
  const root = qemuImgInfo(join(instancesDir(), id, 'disk'));
  t.is(root['virtual-size'], 1024 ** 3);
  t.is(root['backing-filename'], undefined, 'a blank disk');
});

run('a disk_format other than raw, qcow2 or iso is refused with a fault', async (t) => {
  const image = await imageOf('vmdk', join(scratch, 'disk.vmdk'), 'vmdk');
  const id = await bootOf('vmdk', image, '1');
  const s = await settled(id);
  t.is(s.status, 'ERROR');
  t.is(
    s.fault.message,
    `Build of instance ${id} aborted: Image ${image} is unacceptable: disk_format vmdk is not supported by the libvirt driver here (raw, qcow2, iso)`,
  );
});

run('delete removes the instance folders; unused cached bases go after the configured age, used ones stay until then', async (t) => {
  const base = baseOf(TINY_IMAGE_ID);
  for (const id of running) await deleted(id);
  for (const id of running) t.false(existsSync(join(instancesDir(), id)), `folder of ${id} removed`);
  t.true(existsSync(base), 'the base outlives its last instance for the configured age');
  // Bounded: the age plus a few sweeps.
  await eventually(() => readdirSync(join(instancesDir(), '_base')).length === 0, (MAX_AGE_S + 10) * 1000, 250);
  t.deepEqual(readdirSync(join(instancesDir(), '_base')), []);
});
