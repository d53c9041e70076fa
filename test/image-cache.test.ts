import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../runtime/clock.js';
import { ImageCache } from '../drivers/qemu/image-cache.js';
import { readQcow2Header } from '../drivers/qemu/qcow2-header.js';
import { downloadImage, ImageDataMismatch, type ImageView } from '../drivers/qemu/image-fetch.js';
import { imageInfo, QemuImgFailed } from '../drivers/qemu/qemu-img.js';

// The host's image cache and the qemu-img checks on real files and the real qemu-img, with the cloud's clock
// simulated (no database: nothing here touches one).

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-cache-'));
  dirs.push(dir);
  return dir;
};
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('concurrent first uses of an image write its base once; a later use keeps the same file (inode)', async (t) => {
  const cache = new ImageCache(join(scratch(), '_base'), () => 0);
  await cache.open();
  let writes = 0;
  const write = async (dest: string) => {
    writes++;
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(dest, 'image bytes');
  };
  const [a, b, c] = await Promise.all([cache.image('img-1', write), cache.image('img-1', write), cache.image('img-1', write)]);
  t.is(writes, 1);
  t.true(a === b && b === c);
  const inode = statSync(a).ino;
  t.is(await cache.image('img-1', write), a);
  t.is(writes, 1);
  t.is(statSync(a).ino, inode);
});

test('a base whose writing failed leaves nothing visible; a half-written one left by a killed process is removed at open', async (t) => {
  const dir = join(scratch(), '_base');
  const cache = new ImageCache(dir, () => 0);
  await cache.open();
  await t.throwsAsync(
    cache.image('img-2', async (dest) => {
      await writeFile(dest, 'half');
      throw new Error('connection reset');
    }),
    { message: 'connection reset' },
  );
  t.deepEqual(readdirSync(dir), []);
  writeFileSync(join(dir, '.abc.123456.part'), 'half of a base');
  await new ImageCache(dir, () => 0).open();
  t.deepEqual(readdirSync(dir), []);
});

test('unused bases go once their last use is the configured age ago on the clock; used ones stay', async (t) => {
  const clock = new SimulatedClock();
  const cache = new ImageCache(join(scratch(), '_base'), () => clock.now());
  await cache.open();
  const used = await cache.image('used', (d) => writeFile(d, 'u'));
  const unused = await cache.image('unused', (d) => writeFile(d, 'x'));
  const day = 86_400_000;
  await clock.advance(day - 1);
  t.deepEqual(await cache.prune(new Set([used]), day), []);
  t.true(existsSync(unused));
  await clock.advance(1);
  const removed = await cache.prune(new Set([used]), day);
  t.is(removed.length, 1);
  t.false(existsSync(unused));
  t.true(existsSync(used));
  // The sweep marked the used one used now: it outlives the age after its guest is gone only by the age again.
  await clock.advance(day - 1);
  t.deepEqual(await cache.prune(new Set(), day), []);
  await clock.advance(1);
  t.is((await cache.prune(new Set(), day)).length, 1);
  t.false(existsSync(used));
});

test('ephemeral and swap bases are formatted as Nova formats them (vfat, or ext4 for linux, labelled ephemeral0; swap)', async (t) => {
  const cache = new ImageCache(join(scratch(), '_base'), () => 0);
  const ephemeral = await cache.ephemeral(1);
  const swap = await cache.swap(16);
  t.is(statSync(ephemeral).size, 1024 ** 3);
  t.is(statSync(swap).size, 16 * 1024 ** 2);
  const blkid = (p: string) => execFileSync('blkid', ['-p', '-o', 'export', p], { encoding: 'utf8' });
  t.regex(blkid(ephemeral), /TYPE=vfat/);
  t.regex(blkid(ephemeral), /LABEL=ephemeral0/);
  t.regex(blkid(swap), /TYPE=swap/);
  // An image of os_type linux gets ext4, as Nova's _DEFAULT_FS_BY_OSTYPE says.
  const ext4 = await cache.ephemeral(1, 'ext4');
  t.not(ext4, ephemeral);
  t.regex(blkid(ext4), /TYPE=ext4/);
  t.regex(blkid(ext4), /LABEL=ephemeral0/);
});

test('a qcow2 header naming a backing file or a data file is read as such, before qemu-img opens it', async (t) => {
  const dir = scratch();
  const backed = join(dir, 'backed.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', '/etc/hostname', backed, '1M']);
  t.deepEqual(await readQcow2Header(backed), { backingFile: '/etc/hostname', externalDataFile: false });
  const data = join(dir, 'data.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${join(dir, 'data.raw')}`, data, '1M']);
  t.deepEqual(await readQcow2Header(data), { externalDataFile: true });
  const plain = join(dir, 'plain.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', plain, '1M']);
  t.deepEqual(await readQcow2Header(plain), { externalDataFile: false });
  writeFileSync(join(dir, 'raw'), Buffer.alloc(4096));
  t.is(await readQcow2Header(join(dir, 'raw')), undefined);
});

test('qemu-img opens an image as the format it is told, never as what its bytes look like', async (t) => {
  const dir = scratch();
  const image = join(dir, 'looks-qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', '/etc/hostname', image, '1G']);
  const asRaw = await imageInfo(image, 'raw');
  t.is(asRaw.format, 'raw');
  t.is(asRaw['backing-filename'], undefined);
  t.is(asRaw['virtual-size'], Math.ceil(statSync(image).size / 512) * 512, 'the file’s own size, in whole sectors');
});

test('qemu-img past its address-space limit fails and says it was limited', async (t) => {
  const dir = scratch();
  // 512-byte clusters and 127 GiB: a 32 MiB L1 table, which qemu-img info allocates whole.
  const crafted = join(dir, 'big-l1.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', crafted, '127G']);
  const plain = join(dir, 'plain.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', plain, '16M']);
  const limits = { cpuSeconds: 30, addressSpaceBytes: 64 * 1024 ** 2 };
  t.is((await imageInfo(plain, 'qcow2', limits))['virtual-size'], 16 * 1024 ** 2);
  const error = await t.throwsAsync(imageInfo(crafted, 'qcow2', limits), { instanceOf: QemuImgFailed });
  t.true(error.limited, error.message);
  // Under Nova's own limits the same image is read.
  t.is((await imageInfo(crafted, 'qcow2'))['virtual-size'], 127 * 1024 ** 3);
});

/**
 * A stand-in image service on the loopback answering GET …/file with `body`, recording the tokens it was shown: a
 * fake for a fault that cannot be caused for real, since the real image service never serves bytes other than those
 * its checksum and multihash describe (the happy path through the real one is in real-disks.test.ts).
 */
async function imageServer(body: Buffer) {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    tokens.push(String(req.headers['x-auth-token']));
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { source: { url: () => `http://127.0.0.1:${port}`, token: () => Promise.resolve('service-token') }, tokens, close: () => server.close() };
}

const viewOf = (data: Buffer, overrides: Partial<ImageView> = {}): ImageView => ({
  id: 'img',
  status: 'active',
  disk_format: 'raw',
  size: data.length,
  checksum: createHash('md5').update(data).digest('hex'),
  os_hash_algo: 'sha512',
  os_hash_value: createHash('sha512').update(data).digest('hex'),
  ...overrides,
});

test('an image download is checked against its size, checksum and multihash, with the token shown', async (t) => {
  const data = randomBytes(300_000);
  const s = await imageServer(data);
  t.teardown(s.close);
  const dir = scratch();
  await downloadImage(s.source, viewOf(data), join(dir, 'good'));
  t.true(readFileSync(join(dir, 'good')).equals(data));
  t.deepEqual(s.tokens, ['service-token']);
  await t.throwsAsync(downloadImage(s.source, viewOf(data, { checksum: 'f'.repeat(32) }), join(dir, 'md5')), {
    instanceOf: ImageDataMismatch,
    message: /checksum mismatch/,
  });
  await t.throwsAsync(downloadImage(s.source, viewOf(data, { os_hash_value: 'f'.repeat(128) }), join(dir, 'sha')), {
    instanceOf: ImageDataMismatch,
    message: /sha512 hash mismatch/,
  });
  await t.throwsAsync(downloadImage(s.source, viewOf(data, { size: 1000 }), join(dir, 'long')), {
    instanceOf: ImageDataMismatch,
    message: /sent more than its size of 1000 bytes/,
  });
  await t.throwsAsync(downloadImage(s.source, viewOf(data, { size: data.length + 1 }), join(dir, 'short')), {
    instanceOf: ImageDataMismatch,
    message: new RegExp(`sent ${data.length} of its ${data.length + 1} bytes`),
  });
});
