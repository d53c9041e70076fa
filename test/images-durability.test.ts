import test from 'ava';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ImageStore } from '../http/images/image-store.js';
import { startCloudProcess } from './helpers/cloud-process.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { startUpload, upload } from './helpers/image-upload.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

test('an upload cut by kill -9 leaves its image queued after the restart, with no bytes, and it uploads again', async (t) => {
  const c = await startTestCloud('images-crash', { STRATUS_ROLES: 'api', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const storeDir = join(c.env.STRATUS_STATE_DIR, 'images');
  const glanceUrl = `http://127.0.0.1:${c.env.STRATUS_LISTEN_IMAGE}`;
  const glance = client(glanceUrl);
  const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const id = (await glance.call('POST', '/v2/images', { token, body: { name: 'cut', disk_format: 'raw', container_format: 'bare' } })).body.id;

  const cut = startUpload(`${glanceUrl}/v2/images/${id}/file`, token);
  await cut.write(randomBytes(256 * 1024));
  await eventually(
    async () =>
      (await glance.call('GET', `/v2/images/${id}`, { token })).body.status === 'saving' &&
      readdirSync(storeDir).some((f) => f.startsWith(id) && f.endsWith('.partial')),
    30_000,
  );
  c.cloud.child.kill('SIGKILL');
  await t.throwsAsync(cut.reply, undefined, 'the upload got no answer');
  t.true(
    readdirSync(storeDir).some((f) => f.startsWith(id)),
    'the killed process left its partial file',
  );

  c.cloud = await startCloudProcess(c.env);
  const after = (await glance.call('GET', `/v2/images/${id}`, { token })).body;
  t.like(after, { status: 'queued', size: null, checksum: null });
  t.deepEqual(
    readdirSync(storeDir).filter((f) => f.startsWith(id)),
    [],
    'its partial file is gone',
  );
  t.true(
    c.cloud.lines.some((l) => l.msg?.startsWith('cleared uploads that died') && l.reset?.includes(id)),
    'the restart says what it cleared',
  );

  const data = randomBytes(300_000);
  t.is((await upload(`${glanceUrl}/v2/images/${id}/file`, token, data)).status, 204);
  t.like((await glance.call('GET', `/v2/images/${id}`, { token })).body, {
    status: 'active',
    size: data.length,
    checksum: createHash('md5').update(data).digest('hex'),
  });
  await stopTestCloud(c);
});

test('deleting an image during its upload removes its data; the upload answers 410', async (t) => {
  const database = await createTestDatabase('images-delete-uploading');
  const server = await startImageServer(database.url);
  const glance = client(server.url);
  const demo = (await client(server.identity.url).login('demo', DEMO_PASSWORD, 'demo')).token!;
  const id = (await glance.call('POST', '/v2/images', { token: demo, body: { name: 'going', disk_format: 'raw', container_format: 'bare' } })).body
    .id;
  const files = () => readdirSync(server.images.store.dir).filter((f) => f.startsWith(id));

  const uploading = startUpload(`${server.url}/v2/images/${id}/file`, demo);
  await uploading.write(randomBytes(128 * 1024));
  await eventually(() => files().length === 1, 30_000);
  t.is((await glance.call('DELETE', `/v2/images/${id}`, { token: demo })).status, 204);
  // The client keeps sending; the upload stops at once and answers.
  for (let i = 0; i < 8 && (await uploading.write(randomBytes(64 * 1024))); i++);
  uploading.end();
  const reply = await uploading.reply;
  t.is(reply.status, 410);
  t.deepEqual(reply.body, {
    code: 410,
    title: 'Gone',
    message: `Image ${id} could not be found after upload. The image may have been deleted during the upload.`,
  });
  t.deepEqual(files(), [], 'no data and no partial file stay behind');
  t.is((await glance.call('GET', `/v2/images/${id}`, { token: demo })).status, 404);
  await server.stop();
  await database.drop();
});

test('nodes sharing a store never take a live upload of another node for dead, and clear a dead one', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'stratus-shared-store-')), 'images');
  const staleMs = 1_000;
  const a = new ImageStore(dir, { nodeId: 'node-a', staleMs });
  const b = new ImageStore(dir, { nodeId: 'node-b', staleMs });
  await a.open();
  await b.open();
  const id = randomUUID();
  const source = new PassThrough();
  const writing = b.write(id, source);
  source.write(randomBytes(1000));
  await eventually(() => readdirSync(dir).length === 1, 10_000);
  const [partial] = readdirSync(dir);
  t.regex(partial, new RegExp(`^${id}\\.node-b\\.[0-9a-f]+\\.partial$`));

  // Node b's upload stalls without dying: it keeps its partial file fresh, so node a never clears it.
  const firstTouch = statSync(join(dir, partial)).mtimeMs;
  utimesSync(join(dir, partial), new Date(firstTouch - 10 * staleMs), new Date(firstTouch - 10 * staleMs));
  await eventually(() => statSync(join(dir, partial)).mtimeMs >= firstTouch, 10_000);
  t.deepEqual(await a.sweep(), []);
  t.true(await a.uploading(id));
  t.deepEqual(readdirSync(dir), [partial]);
  // A reopened node a (a restart) leaves it too: only its own partial files are dead on restart.
  t.deepEqual(await new ImageStore(dir, { nodeId: 'node-a', staleMs }).open(), []);

  source.end(randomBytes(1000));
  t.is((await writing).size, 2000);
  t.deepEqual(readdirSync(dir), [id]);

  // Node c's fresh partial file is a live upload; untouched for the stale time, it is a dead one.
  const other = randomUUID();
  const partialOfC = join(dir, `${other}.node-c.0123456789ab.partial`);
  writeFileSync(partialOfC, randomBytes(10));
  t.true(await a.uploading(other));
  t.deepEqual(await a.sweep(), []);
  const old = new Date(Date.now() - 10 * staleMs);
  utimesSync(partialOfC, old, old);
  t.false(await a.uploading(other));
  t.deepEqual(await a.sweep(), [other]);
  t.deepEqual(readdirSync(dir), [id]);
  rmSync(dir, { recursive: true, force: true });
});
