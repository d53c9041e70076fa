import test from 'ava';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ImageStore, ImageStoreError } from '../http/images/image-store.js';

const hash = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

async function store() {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-images-'));
  const s = new ImageStore(join(dir, 'images'));
  await s.open();
  return { s, dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a write streams the bytes in, hashing them, and they read back whole or by range', async (t) => {
  const { s, done } = await store();
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const id = randomUUID();
  const seen: number[] = [];
  const stored = await s.write(id, Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]), { onProgress: (n) => seen.push(n) });
  t.deepEqual(stored, { size: data.length, md5: hash('md5', data), sha512: hash('sha512', data) });
  t.is(seen.at(-1), data.length, 'progress reaches the whole size');
  t.deepEqual(await buffer(await s.read(id)), data);
  t.deepEqual(await buffer(await s.read(id, { start: 10, end: 19 })), data.subarray(10, 20));
  t.is(await s.size(id), data.length);
  await s.delete(id);
  await t.throwsAsync(s.read(id), { instanceOf: ImageStoreError, message: /no data/ });
  done();
});

test('a declared size or hash that does not match fails the write and leaves no bytes', async (t) => {
  const { s, done } = await store();
  const data = randomBytes(4096);
  for (const declared of [{ size: 4095 }, { size: 4097 }, { md5: hash('md5', Buffer.from('x')) }, { sha512: hash('sha512', Buffer.from('x')) }]) {
    const id = randomUUID();
    const error = await t.throwsAsync(s.write(id, Readable.from([data]), declared), { instanceOf: ImageStoreError });
    t.true(error.reason === 'size' || error.reason === 'checksum');
    await t.throwsAsync(s.size(id));
  }
  t.deepEqual(readdirSync(s.dir), [], 'nothing half-written is left');
  t.truthy(await s.write(randomUUID(), Readable.from([data]), { size: 4096, md5: hash('md5', data), sha512: hash('sha512', data) }));
  done();
});

test('an interrupted upload leaves no image, and what a killed process left is cleared on open', async (t) => {
  const { s, done } = await store();
  const id = randomUUID();
  const broken = new Readable({
    read() {
      this.push(randomBytes(65536));
      this.destroy(new Error('client went away'));
    },
  });
  await t.throwsAsync(s.write(id, broken), { message: 'client went away' });
  t.false(existsSync(s.path(id)));
  t.deepEqual(readdirSync(s.dir), [], 'the write removed its own partial file');
  // What a kill -9 mid-write leaves behind: a partial file, never the image's own name.
  writeFileSync(join(s.dir, `${id}.${s.nodeId}.abcdef.partial`), randomBytes(100));
  t.deepEqual(await s.open(), [id], "this node's own partial files are dead once it reopens the store");
  t.deepEqual(readdirSync(s.dir), []);
  done();
});

test('ids that are not image ids never reach the file system', async (t) => {
  const { s, done } = await store();
  t.throws(() => s.path('../../etc/passwd'), { instanceOf: ImageStoreError });
  await t.throwsAsync(s.write('..', Readable.from([Buffer.from('x')])), { instanceOf: ImageStoreError });
  done();
});
