import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { upload } from './helpers/image-upload.js';

async function setup(name: string, limits: { sizeCapBytes?: number; userStorageQuotaBytes?: number }) {
  const database = await createTestDatabase(name);
  const server = await startImageServer(database.url, { limits });
  const keystone = client(server.identity.url);
  const glance = client(server.url);
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const create = async (name: string) =>
    (await glance.call('POST', '/v2/images', { token: demo, body: { name, disk_format: 'raw', container_format: 'bare' } })).body.id as string;
  const show = async (id: string) => (await glance.call('GET', `/v2/images/${id}`, { token: demo })).body;
  // What the store folder holds for an image: its data file and any partial file.
  const files = (id: string) => readdirSync(server.images.store.dir).filter((f) => f.startsWith(id));
  const file = (id: string) => `${server.url}/v2/images/${id}/file`;
  return {
    server,
    glance,
    demo,
    admin,
    create,
    show,
    files,
    file,
    done: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

test('an upload over image_size_cap is refused with 413, keeps no bytes and leaves the image queued', async (t) => {
  const { demo, create, show, files, file, done } = await setup('images-size-cap', { sizeCapBytes: 100_000 });
  const id = await create('big');

  // Declared too large: refused before a byte is stored.
  const declared = await upload(file(id), demo, randomBytes(200_000), { declare: 200_000 });
  t.is(declared.status, 413);
  t.deepEqual(declared.body, {
    code: 413,
    title: 'Request Entity Too Large',
    message: 'The incoming image is too large: The provided image is too large.',
  });
  t.is(declared.headers.connection, 'close', 'the rest of the body is not read');

  // Chunked, so found too large while streaming.
  const streamed = await upload(file(id), demo, randomBytes(300_000));
  t.is(streamed.status, 413);
  t.deepEqual(streamed.body, declared.body);
  t.like(await show(id), { status: 'queued', size: null, checksum: null });
  t.deepEqual(files(id), [], 'no partial file and no data');

  // Exactly at the cap is fine.
  const data = randomBytes(100_000);
  t.is((await upload(file(id), demo, data)).status, 204);
  t.like(await show(id), { status: 'active', size: 100_000, checksum: createHash('md5').update(data).digest('hex') });
  await done();
});

test("a project's uploads stop at user_storage_quota with Glance's 413; other projects are not counted", async (t) => {
  const { demo, admin, glance, create, show, files, file, done } = await setup('images-storage-quota', { userStorageQuotaBytes: 150_000 });
  const first = await create('first');
  t.is((await upload(file(first), demo, randomBytes(100_000))).status, 204);

  const second = await create('second');
  const over = await upload(file(second), demo, randomBytes(80_000));
  t.is(over.status, 413);
  t.is(over.body.code, 413);
  t.is(over.body.title, 'Request Entity Too Large');
  t.is(over.body.message, 'Image exceeds the storage quota: The size of the data uploaded will exceed the limit. 50000 bytes remaining.');
  const declared = await upload(file(second), demo, randomBytes(80_000), { declare: 80_000 });
  t.is(declared.status, 413);
  t.regex(declared.body.message, /^Image exceeds the storage quota: The size of the data 80000 will exceed the limit\. 50000 bytes remaining\.$/);
  t.like(await show(second), { status: 'queued', size: null });
  t.deepEqual(files(second), []);

  t.is((await upload(file(second), demo, randomBytes(50_000))).status, 204, 'what is left still fits');
  t.is((await show(second)).status, 'active');
  // Deleting an image gives its bytes back.
  t.is((await glance.call('DELETE', `/v2/images/${first}`, { token: demo })).status, 204);
  const third = await create('third');
  t.is((await upload(file(third), demo, randomBytes(100_000))).status, 204);

  // The admin project (owner of stratus-tiny, 1 MiB) has a quota of its own, and demo's images do not count in it.
  const adminImage = (await glance.call('POST', '/v2/images', { token: admin, body: { name: 'a', disk_format: 'raw', container_format: 'bare' } }))
    .body.id;
  t.is((await upload(file(adminImage), admin, randomBytes(10))).status, 413, 'admin is over its own quota already');
  await done();
});

test('image lists page in SQL: limit bounds the rows read, and next links walk every image once in order', async (t) => {
  const { server, glance, demo, done } = await setup('images-list-sql', {});
  // Sizes with ties and nulls (queued images), names with ties, so the order needs every key and the id.
  for (let i = 0; i < 23; i++) {
    const body = { name: `img-${i % 5}`, disk_format: 'raw', container_format: 'bare', min_ram: i % 3 };
    t.is((await glance.call('POST', '/v2/images', { token: demo, body })).status, 201);
  }
  const { Image } = server.identity.db.models;
  const rows = (await Image.findAll({ raw: true })) as unknown as Array<{ id: string; owner: string; visibility: string }>;
  const expectedIds = rows
    .filter((r) => r.visibility === 'public' || r.owner !== rows.find((x) => x.visibility === 'public')!.owner)
    .map((r) => r.id)
    .sort();
  const statements: string[] = [];
  server.identity.db.sequelize.addHook('afterQuery', (options, query) => {
    const sql = (query as unknown as { sql?: string }).sql;
    if (options.type === 'SELECT' && sql && /FROM [`"]?images[`"]?/.test(sql)) statements.push(sql);
  });

  for (const sort of ['name:asc,min_ram:desc', 'size:asc', 'min_ram:desc,name:asc', 'created_at:desc']) {
    const seen: Array<Record<string, unknown>> = [];
    let next: string | undefined = `/v2/images?limit=4&sort=${sort}`;
    let pages = 0;
    while (next) {
      statements.length = 0;
      const page: { status: number; body: { images: Array<Record<string, unknown>>; next?: string } } = await glance.call('GET', next, {
        token: demo,
      });
      t.is(page.status, 200);
      t.true(page.body.images.length <= 4);
      t.true(
        statements.some((sql) => /LIMIT 5\b/i.test(sql)),
        `${sort}: one row more than the page is read`,
      );
      seen.push(...page.body.images);
      next = page.body.next;
      t.true(++pages <= 10, 'the walk ends');
    }
    t.deepEqual(seen.map((i) => i.id).sort(), expectedIds, `${sort}: every image once`);
    const [k1, d1] = sort.split(',')[0].split(':');
    const values = seen.map((i) => i[k1] as string | number | null);
    const sortedValues = [...values].sort((x, y) => (x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1));
    t.deepEqual(values, d1 === 'asc' ? sortedValues : sortedValues.reverse(), `${sort}: in order of ${k1}`);
  }
  statements.length = 0;
  const capped = await glance.call('GET', '/v2/images?limit=100000', { token: demo });
  t.is(capped.status, 200);
  t.true(
    statements.some((sql) => /LIMIT 1001\b/i.test(sql)),
    'a larger limit is cut to api_limit_max (1,000)',
  );
  t.is((await glance.call('GET', '/v2/images?limit=-1', { token: demo })).status, 400);
  await done();
});
