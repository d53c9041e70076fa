import test from 'ava';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openstack, python, startCloudProcess } from './helpers/cloud-process.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { answer, glanceRefused } from './helpers/refusals.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

// Glance's interoperable import (glance-direct): discovery, stage, import and the tasks it runs as, through raw HTTP,
// and `openstack image create --import` with Debian's CLI.

async function setup(name: string, limits: { userStorageQuotaBytes?: number } = {}) {
  const database = await createTestDatabase(name);
  const server = await startImageServer(database.url, { limits });
  const keystone = client(server.identity.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const glance = client(server.url);
  const send = (method: string, path: string, token: string, body?: Buffer, type = 'application/octet-stream') =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': type },
      body: body ? new Uint8Array(body) : undefined,
    });
  const create = async (token: string, extra: Record<string, unknown> = {}) => {
    const r = await glance.call('POST', '/v2/images', { token, body: { name: 'imported', disk_format: 'raw', container_format: 'bare', ...extra } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r;
  };
  const show = async (id: string, token = demo) => (await glance.call('GET', `/v2/images/${id}`, { token })).body;
  const storeDir = join(server.identity.stateDir, 'images');
  return {
    server,
    admin,
    demo,
    glance,
    send,
    create,
    show,
    storeDir,
    done: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

test('glance-direct: discovery, stage (queued → uploading), import (→ importing → active) with the hashes of a direct upload, and its task', async (t) => {
  const { glance, send, create, show, demo, admin, storeDir, done } = await setup('images-import');
  t.deepEqual((await glance.call('GET', '/v2/info/import', { token: demo })).body, {
    'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct'] },
  });
  t.deepEqual((await glance.call('GET', '/v2/info/stores', { token: demo })).body, {
    stores: [{ id: 'local', description: 'The image store of this Stratus deployment', default: 'true' }],
  });
  glanceRefused(t, await glance.call('GET', '/v2/info/import'), 401, 'The request you have made requires authentication.');

  const created = await create(demo, { os_distro: 'debian' });
  t.is(created.headers.get('openstack-image-import-methods'), 'glance-direct');
  t.is(created.headers.get('openstack-image-store-ids'), 'local');
  const id = created.body.id as string;
  const data = randomBytes(300_000);
  const staged = await send('PUT', `/v2/images/${id}/stage`, demo, data);
  t.is(staged.status, 204);
  t.like(await show(id), { status: 'uploading', size: data.length, checksum: null });
  t.true(existsSync(join(storeDir, 'staging', id)));

  const imported = await glance.call('POST', `/v2/images/${id}/import`, { token: demo, body: { method: { name: 'glance-direct' } } });
  t.is(imported.status, 202);
  await eventually(async () => (await show(id)).status === 'active');
  t.like(await show(id), {
    status: 'active',
    size: data.length,
    checksum: createHash('md5').update(data).digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: createHash('sha512').update(data).digest('hex'),
    os_distro: 'debian',
    os_glance_importing_to_stores: '',
    os_glance_failed_import: '',
  });
  t.false('os_glance_import_task' in (await show(id)));
  t.false(existsSync(join(storeDir, 'staging', id)));
  const download = await send('GET', `/v2/images/${id}/file`, demo);
  t.deepEqual(Buffer.from(await download.arrayBuffer()), data);

  // The image's tasks, to whoever sees the image; the tasks API, to the admin only.
  // The task is finished just after the image is active.
  let tasks: any[] = [];
  await eventually(async () => {
    tasks = (await glance.call('GET', `/v2/images/${id}/tasks`, { token: demo })).body.tasks;
    return tasks[0]?.status === 'success';
  });
  t.is(tasks.length, 1);
  t.like(tasks[0], {
    type: 'api_image_import',
    status: 'success',
    image_id: id,
    message: '',
    result: { image_id: id },
    input: { image_id: id, import_req: { method: { name: 'glance-direct' } }, backend: ['local'] },
    deleted: false,
    deleted_at: null,
  });
  t.regex(tasks[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  const task = (await glance.call('GET', `/v2/tasks/${tasks[0].id}`, { token: admin })).body;
  t.like(task, { id: tasks[0].id, type: 'api_image_import', status: 'success', self: `/v2/tasks/${tasks[0].id}`, schema: '/v2/schemas/task' });
  t.regex(task.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const list = (await glance.call('GET', '/v2/tasks', { token: admin })).body;
  t.is(list.first, '/v2/tasks');
  t.is(list.schema, '/v2/schemas/tasks');
  t.deepEqual(Object.keys(list.tasks[0]).sort(), ['created_at', 'expires_at', 'id', 'owner', 'schema', 'self', 'status', 'type', 'updated_at']);
  t.is((await glance.call('GET', '/v2/tasks?status=success', { token: admin })).body.tasks.length, 1);
  t.is((await glance.call('GET', '/v2/tasks?status=failure', { token: admin })).body.tasks.length, 0);
  glanceRefused(t, await glance.call('GET', '/v2/tasks', { token: demo }), 403, 'You are not authorized to complete tasks_api_access action.');
  glanceRefused(
    t,
    await glance.call('GET', `/v2/tasks/${tasks[0].id}`, { token: demo }),
    403,
    'You are not authorized to complete tasks_api_access action.',
  );
  glanceRefused(t, await glance.call('GET', '/v2/tasks?status=done', { token: admin }), 400, 'Invalid status value: done');
  glanceRefused(t, await glance.call('GET', `/v2/tasks/${crypto.randomUUID()}`, { token: admin }), 404, /^Task with identifier .* not found$/);
  glanceRefused(t, await glance.call('DELETE', `/v2/tasks/${tasks[0].id}`, { token: admin }), 405, /not permitted on Glance Tasks/);
  await done();
});

test('import refusals as Glance words them, each leaving the image as it was', async (t) => {
  const { glance, send, create, show, demo, admin, done } = await setup('images-import-refusals');
  const id = (await create(demo)).body.id as string;
  const importIt = (body: unknown, token = demo, image = id) => glance.call('POST', `/v2/images/${image}/import`, { token, body });
  glanceRefused(t, await importIt({ method: { name: 'glance-direct' } }), 409, "Image needs to be staged before 'glance-direct' method can be used");
  glanceRefused(t, await importIt({}), 400, "Import request requires a 'method' field.");
  glanceRefused(t, await importIt({ method: {} }), 400, "Import request requires a 'name' field.");
  glanceRefused(t, await importIt({ method: { name: 'copy-image' } }), 400, "Unknown import method name 'copy-image'.");
  glanceRefused(
    t,
    await importIt({ method: { name: 'web-download', uri: 'http://example.com/x' } }),
    400,
    "Unknown import method name 'web-download'.",
  );
  glanceRefused(t, await importIt({ method: { name: 'glance-direct' }, all_stores: 'yes' }), 400, "'all_stores' must be boolean value only");
  glanceRefused(
    t,
    await answer(await send('PUT', `/v2/images/${id}/stage`, demo, Buffer.from('x'), 'application/json')),
    415,
    'Invalid content type application/json',
  );
  t.is((await show(id)).status, 'queued');

  // Another project: a private image is not found; a public one is not its to stage into.
  const other = (await create(admin, { visibility: 'public' })).body.id as string;
  glanceRefused(
    t,
    await answer(await send('PUT', `/v2/images/${other}/stage`, demo, Buffer.from('x'))),
    403,
    'You are not permitted to modify this image.',
  );
  const hidden = (await create(admin, { visibility: 'private' })).body.id as string;
  glanceRefused(t, await answer(await send('PUT', `/v2/images/${hidden}/stage`, demo, Buffer.from('x'))), 404, `No image found with ID ${hidden}`);

  t.is((await send('PUT', `/v2/images/${id}/stage`, demo, randomBytes(100))).status, 204);
  glanceRefused(
    t,
    await answer(await send('PUT', `/v2/images/${id}/stage`, demo, randomBytes(100))),
    409,
    'Image status transition from uploading to uploading is not allowed',
  );
  glanceRefused(t, await importIt({ method: { name: 'glance-direct' }, stores: ['cheap'] }), 409, "Unknown scheme 'cheap' found in URI");
  t.is((await show(id)).status, 'uploading');

  // Formats must be set before an import.
  const bare = (await glance.call('POST', '/v2/images', { token: demo, body: { name: 'no formats' } })).body.id as string;
  t.is((await send('PUT', `/v2/images/${bare}/stage`, demo, randomBytes(10))).status, 204);
  glanceRefused(t, await importIt({ method: { name: 'glance-direct' } }, demo, bare), 409, "'container_format' needs to be set before import");

  t.is((await importIt({ method: { name: 'glance-direct' } })).status, 202);
  await eventually(async () => (await show(id)).status === 'active');
  glanceRefused(t, await importIt({ method: { name: 'glance-direct' } }), 409, 'Image with status active cannot be target for import');
  // Glance's bookkeeping properties are not the user's.
  glanceRefused(
    t,
    await glance.call('PATCH', `/v2/images/${id}`, {
      token: demo,
      body: [{ op: 'add', path: '/os_glance_import_task', value: 'x' }],
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    }),
    403,
    "Attribute 'os_glance_import_task' is reserved.",
  );
  // Deleting a staged image removes its staged data.
  const dropped = (await create(demo)).body.id as string;
  t.is((await send('PUT', `/v2/images/${dropped}/stage`, demo, randomBytes(10))).status, 204);
  t.is((await glance.call('DELETE', `/v2/images/${dropped}`, { token: demo })).status, 204);
  await done();
});

test('a failed import (the storage quota reached meanwhile) leaves the image queued with its properties, no bytes, and a failed task', async (t) => {
  const { glance, send, create, show, demo, admin, storeDir, done } = await setup('images-import-failure', { userStorageQuotaBytes: 1500 });
  const first = (await create(demo)).body.id as string;
  const second = (await create(demo, { purpose: 'kept' })).body.id as string;
  const a = randomBytes(1000);
  const b = randomBytes(1000);
  t.is((await send('PUT', `/v2/images/${first}/stage`, demo, a)).status, 204);
  t.is((await send('PUT', `/v2/images/${second}/stage`, demo, b)).status, 204);
  const go = (id: string) => glance.call('POST', `/v2/images/${id}/import`, { token: demo, body: { method: { name: 'glance-direct' } } });
  t.is((await go(first)).status, 202);
  await eventually(async () => (await show(first)).status === 'active');
  t.is((await go(second)).status, 202);
  await eventually(async () => (await show(second)).status === 'queued');
  t.like(await show(second), {
    status: 'queued',
    size: null,
    checksum: null,
    purpose: 'kept',
    os_glance_failed_import: 'local',
    os_glance_importing_to_stores: '',
  });
  t.false(existsSync(join(storeDir, second)));
  t.false(existsSync(join(storeDir, 'staging', second)));
  let task: any;
  await eventually(async () => {
    [task] = (await glance.call('GET', `/v2/images/${second}/tasks`, { token: demo })).body.tasks;
    return task?.status === 'failure';
  });
  t.like(task, { status: 'failure', result: null });
  t.regex(task.message, /^Image exceeds the storage quota: 500 bytes remaining\.$/);
  t.is((await glance.call('GET', '/v2/tasks?status=failure', { token: admin })).body.tasks.length, 1);

  // Nothing lost: once there is room, the same image is staged and imported again.
  t.is((await glance.call('DELETE', `/v2/images/${first}`, { token: demo })).status, 204);
  t.is((await send('PUT', `/v2/images/${second}/stage`, demo, b)).status, 204);
  t.is((await go(second)).status, 202);
  await eventually(async () => (await show(second)).status === 'active');
  t.like(await show(second), { checksum: createHash('md5').update(b).digest('hex'), os_glance_failed_import: '' });
  await done();
});

test('openstack image create --import ends active with the right checksums', async (t) => {
  const c = await startTestCloud('images-import-osc');
  try {
    const file = join(c.dir, 'import.raw');
    const data = randomBytes(1024 * 1024 + 3);
    writeFileSync(file, data);
    const cli = (...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', 'stratus-demo', ...args]);
    const created = await cli(
      'image',
      'create',
      '--import',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      file,
      'imported-by-cli',
      '-f',
      'json',
    );
    t.is(created.code, 0, created.stderr);
    const id = created.json.id as string;
    let shown: any;
    await eventually(async () => {
      shown = (await cli('image', 'show', id, '-f', 'json')).json;
      return shown?.status === 'active';
    });
    t.is(shown.checksum, createHash('md5').update(data).digest('hex'));
    t.is(shown.size, data.length);
    t.like(shown.properties, { os_hash_algo: 'sha512', os_hash_value: createHash('sha512').update(data).digest('hex') });

    // openstacksdk reads the import discovery, the stores and (as the admin) the tasks the import ran as.
    const sdk = await python(
      c.cloudsYaml,
      `
import json, openstack
conn = openstack.connect(cloud='stratus')
stores = [(s.id, s.is_default) for s in conn.image.stores()]
# SDK 0.101's get_import_info() asks for an id the resource has none of: the discovery is read through its session.
methods = conn.image.get('/info/import').json()['import-methods']['value']
tasks = [conn.image.get_task(t.id) for t in conn.image.tasks()]
print(json.dumps({'stores': stores, 'methods': methods, 'tasks': [[t.type, t.status, t.result] for t in tasks],
                  'schema': conn.image.get_task_schema().properties['status']['enum']}))
`,
    );
    t.is(sdk.code, 0, sdk.stderr);
    t.deepEqual(sdk.json, {
      stores: [['local', true]],
      methods: ['glance-direct'],
      tasks: [['api_image_import', 'success', { image_id: id }]],
      schema: ['pending', 'processing', 'success', 'failure'],
    });
  } finally {
    await stopTestCloud(c);
  }
});

test('after a stop: staged data is still there to import; an import the stop cut is resumed by its node; a stage it cut leaves the image queued', async (t) => {
  const database = await createTestDatabase('images-import-restart');
  const storeDir = mkdtempSync(join(tmpdir(), 'stratus-import-'));
  const start = () => startImageServer(database.url, { storeDir, nodeId: 'node-a' });
  let server = await start();
  try {
    const keystone = client(server.identity.url);
    const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
    let glance = client(server.url);
    const create = async () =>
      (await glance.call('POST', '/v2/images', { token: demo, body: { name: 'kept', disk_format: 'raw', container_format: 'bare' } })).body
        .id as string;
    const stage = (id: string, data: Buffer) =>
      fetch(`${server.url}/v2/images/${id}/stage`, {
        method: 'PUT',
        headers: { 'x-auth-token': demo, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(data),
      });
    const staged = await create();
    const cut = await create();
    const importing = await create();
    const a = randomBytes(5000);
    const b = randomBytes(7000);
    t.is((await stage(staged, a)).status, 204);
    t.is((await stage(importing, b)).status, 204);
    // What a kill leaves: an import started (the image importing, its task pending on this node) but not run, and a
    // stage begun (the image uploading) whose bytes never reached the staging store.
    const { models } = server.identity.db;
    await models.Image.update({ status: 'importing' }, { where: { id: importing } });
    const now = new Date();
    await models.ImageTask.create({
      id: randomUUID(),
      type: 'api_image_import',
      status: 'processing',
      owner: (await glance.call('GET', `/v2/images/${importing}`, { token: demo })).body.owner,
      user_id: null,
      request_id: null,
      image_id: importing,
      input: JSON.stringify({ image_id: importing, import_req: { method: { name: 'glance-direct' } }, backend: ['local'] }),
      result: null,
      message: '',
      node_id: 'node-a',
      expires_at: null,
      created_at: now,
      updated_at: now,
    });
    await models.Image.update({ status: 'uploading', size: 10 }, { where: { id: cut } });
    writeFileSync(join(storeDir, 'staging', `${cut}.node-a.0123456789ab.partial`), randomBytes(10));
    await server.stop();

    server = await start();
    glance = client(server.url);
    const token = (await client(server.identity.url).login('demo', DEMO_PASSWORD, 'demo')).token!;
    const show = async (id: string) => (await glance.call('GET', `/v2/images/${id}`, { token })).body;
    await eventually(async () => (await show(importing)).status === 'active');
    t.is((await show(importing)).checksum, createHash('md5').update(b).digest('hex'));
    t.like(await show(cut), { status: 'queued', size: null });
    t.false(existsSync(join(storeDir, 'staging', `${cut}.node-a.0123456789ab.partial`)));
    t.like(await show(staged), { status: 'uploading', size: a.length });
    t.is((await glance.call('POST', `/v2/images/${staged}/import`, { token, body: { method: { name: 'glance-direct' } } })).status, 202);
    await eventually(async () => (await show(staged)).status === 'active');
    t.is((await show(staged)).os_hash_value, createHash('sha512').update(a).digest('hex'));
  } finally {
    await server.stop();
    await database.drop();
    rmSync(storeDir, { recursive: true, force: true });
  }
});

test('staged data survives kill -9 of the cloud: after the restart the image is still uploading and imports', async (t) => {
  const c = await startTestCloud('images-import-kill', { STRATUS_ROLES: 'api', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  try {
    const glanceUrl = `http://127.0.0.1:${c.env.STRATUS_LISTEN_IMAGE}`;
    const glance = client(glanceUrl);
    const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
    const id = (await glance.call('POST', '/v2/images', { token, body: { name: 'staged', disk_format: 'raw', container_format: 'bare' } })).body.id;
    const data = randomBytes(200_000);
    const staged = await fetch(`${glanceUrl}/v2/images/${id}/stage`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(data),
    });
    t.is(staged.status, 204);
    c.cloud.child.kill('SIGKILL');
    c.cloud = await startCloudProcess(c.env);
    t.like((await glance.call('GET', `/v2/images/${id}`, { token })).body, { status: 'uploading', size: data.length });
    t.is((await glance.call('POST', `/v2/images/${id}/import`, { token, body: { method: { name: 'glance-direct' } } })).status, 202);
    await eventually(async () => (await glance.call('GET', `/v2/images/${id}`, { token })).body.status === 'active');
    t.is((await glance.call('GET', `/v2/images/${id}`, { token })).body.checksum, createHash('md5').update(data).digest('hex'));
  } finally {
    await stopTestCloud(c);
  }
});
