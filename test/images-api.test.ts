import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { answer, glanceRefused } from './helpers/refusals.js';

async function setup(name: string) {
  const database = await createTestDatabase(name);
  const server = await startImageServer(database.url);
  const keystone = client(server.identity.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const glance = client(server.url);
  const raw = (method: string, path: string, token: string, body?: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers: { 'x-auth-token': token, ...headers }, body: body ? new Uint8Array(body) : undefined });
  return {
    database,
    server,
    admin,
    demo,
    glance,
    raw,
    done: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

test('images are created, uploaded with their hashes and downloaded whole or by range', async (t) => {
  const { glance, raw, demo, done } = await setup('images-data');
  t.is((await glance.call('GET', '/')).status, 300);
  const tiny = await glance.call('GET', `/v2/images/${TINY_IMAGE_ID}`, { token: demo });
  t.like(tiny.body, { name: 'stratus-tiny', status: 'active', visibility: 'public', disk_format: 'raw', size: 1024 * 1024 });

  const created = await glance.call('POST', '/v2/images', {
    token: demo,
    body: { name: 'mine', disk_format: 'qcow2', container_format: 'bare', min_ram: 64, architecture: 'x86_64', tags: ['a'] },
  });
  t.is(created.status, 201);
  t.like(created.body, { status: 'queued', visibility: 'shared', min_ram: 64, architecture: 'x86_64', tags: ['a'], size: null });
  const id = created.body.id;
  const data = randomBytes(200_000);
  const upload = await raw('PUT', `/v2/images/${id}/file`, demo, data, { 'content-type': 'application/octet-stream' });
  t.is(upload.status, 204);
  const shown = (await glance.call('GET', `/v2/images/${id}`, { token: demo })).body;
  t.like(shown, {
    status: 'active',
    size: data.length,
    checksum: createHash('md5').update(data).digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: createHash('sha512').update(data).digest('hex'),
  });
  const download = await raw('GET', `/v2/images/${id}/file`, demo);
  t.is(download.headers.get('content-md5'), shown.checksum);
  t.deepEqual(Buffer.from(await download.arrayBuffer()), data);
  const part = await raw('GET', `/v2/images/${id}/file`, demo, undefined, { range: 'bytes=100-199' });
  t.is(part.status, 206);
  t.is(part.headers.get('content-range'), `bytes 100-199/${data.length}`);
  t.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(100, 200));
  glanceRefused(
    t,
    await answer(await raw('PUT', `/v2/images/${id}/file`, demo, data)),
    409,
    'Image status transition from active to saving is not allowed',
  ); // an active image takes no new data
  await done();
});

test('refused as Glance refuses them, leaving state as it was', async (t) => {
  const { glance, raw, admin, demo, done } = await setup('images-refusals');
  const mine = (
    await glance.call('POST', '/v2/images', {
      token: admin,
      body: { name: 'private', visibility: 'private', disk_format: 'raw', container_format: 'bare' },
    })
  ).body;
  const notFound = await glance.call('GET', `/v2/images/${mine.id}`, { token: demo });
  glanceRefused(t, notFound, 404, `No image found with ID ${mine.id}`);
  t.false((await glance.call('GET', '/v2/images', { token: demo })).body.images.some((i: { id: string }) => i.id === mine.id));
  glanceRefused(
    t,
    await glance.call('POST', '/v2/images', { token: demo, body: { name: 'pub', visibility: 'public' } }),
    403,
    'Only an administrator may publicize an image.',
  );
  glanceRefused(t, await glance.call('GET', '/v2/images'), 401, 'The request you have made requires authentication.'); // no token, no images

  const wrongHash = await raw('PUT', `/v2/images/${mine.id}/file`, admin, randomBytes(1000), {
    'content-md5': createHash('md5').update('other').digest('base64'),
  });
  glanceRefused(t, await answer(wrongHash), 400, /^Upload refused: md5 [0-9a-f]{32} does not match [0-9a-f]{32}$/);
  t.is((await glance.call('GET', `/v2/images/${mine.id}`, { token: admin })).body.status, 'queued', 'a refused upload leaves the image queued');

  const patch = (body: unknown, type = 'application/openstack-images-v2.1-json-patch') =>
    raw('PATCH', `/v2/images/${mine.id}`, admin, Buffer.from(JSON.stringify(body)), { 'content-type': type });
  t.is((await patch([{ op: 'replace', path: '/protected', value: true }])).status, 200);
  glanceRefused(
    t,
    await glance.call('DELETE', `/v2/images/${mine.id}`, { token: admin }),
    403,
    `Image ${mine.id} is protected and cannot be deleted.`,
  ); // a protected image is not deleted
  glanceRefused(t, await answer(await patch({ op: 'oops' })), 400, 'Request body must be a JSON array of operation objects.');
  glanceRefused(
    t,
    await answer(await patch([{ op: 'move', path: '/name' }])),
    400,
    'Operations must be JSON objects with "op" (add, replace or remove) and "path".',
  );
  glanceRefused(
    t,
    await answer(await patch([{ op: 'replace', path: '/name', value: 'x' }], 'application/json')),
    415,
    'Unsupported Content-Type: use application/openstack-images-v2.1-json-patch',
  );
  glanceRefused(t, await answer(await patch([{ op: 'add', path: '/status', value: 'active' }])), 403, "Attribute 'status' is read-only."); // read-only properties stay so
  t.is(
    (
      await patch([
        { op: 'add', path: '/colour', value: 'blue' },
        { op: 'replace', path: '/protected', value: false },
      ])
    ).status,
    200,
  );
  t.like((await glance.call('GET', `/v2/images/${mine.id}`, { token: admin })).body, { colour: 'blue', protected: false, status: 'queued' });
  t.is((await patch([{ op: 'remove', path: '/colour' }])).status, 200);
  t.is((await glance.call('DELETE', `/v2/images/${mine.id}`, { token: admin })).status, 204);
  glanceRefused(t, await glance.call('GET', `/v2/images/${mine.id}`, { token: admin }), 404, `No image found with ID ${mine.id}`);
  await done();
});

test('image names and tags are counted in code points, as Glance counts them', async (t) => {
  const { glance, admin, done } = await setup('images-code-points');
  // 255 emoji are 510 UTF-16 units but 255 characters to Python: Glance takes them.
  const longest = '😀'.repeat(255);
  const created = await glance.call('POST', '/v2/images', { token: admin, body: { name: longest, disk_format: 'raw', container_format: 'bare' } });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.body.name, longest);
  t.is((await glance.call('GET', `/v2/images/${created.body.id}`, { token: admin })).body.name, longest);
  t.is((await glance.call('PUT', `/v2/images/${created.body.id}/tags/${encodeURIComponent(longest)}`, { token: admin })).status, 204);

  const tooLong = await glance.call('POST', '/v2/images', {
    token: admin,
    body: { name: `${longest}😀`, disk_format: 'raw', container_format: 'bare' },
  });
  glanceRefused(t, tooLong, 400, /^Invalid value for 'name': /);
  const tag = await glance.call('PUT', `/v2/images/${created.body.id}/tags/${encodeURIComponent(`${longest}😀`)}`, { token: admin });
  glanceRefused(t, tag, 400, 'Tags are at most 255 characters.');
  await done();
});

test('lists filter, sort and page as Glance does', async (t) => {
  const { glance, demo, done } = await setup('images-list');
  for (const name of ['c', 'a', 'e', 'b', 'd']) {
    await glance.call('POST', '/v2/images', { token: demo, body: { name, tags: name === 'a' || name === 'b' ? ['pick'] : [] } });
  }
  const first = await glance.call(
    'GET',
    '/v2/images?sort=name:asc&limit=2&owner=' + (await glance.call('GET', '/v2/images?name=a', { token: demo })).body.images[0].owner,
    { token: demo },
  );
  t.deepEqual(
    first.body.images.map((i: { name: string }) => i.name),
    ['a', 'b'],
  );
  t.regex(first.body.next, /marker=/);
  const second = await glance.call('GET', first.body.next, { token: demo });
  t.deepEqual(
    second.body.images.map((i: { name: string }) => i.name),
    ['c', 'd'],
  );
  t.deepEqual(
    (await glance.call('GET', '/v2/images?tag=pick&sort_key=name&sort_dir=desc', { token: demo })).body.images.map((i: { name: string }) => i.name),
    ['b', 'a'],
  );
  t.deepEqual(
    (await glance.call('GET', '/v2/images?visibility=public', { token: demo })).body.images.map((i: { name: string }) => i.name),
    ['stratus-tiny'],
  );
  glanceRefused(
    t,
    await glance.call('GET', '/v2/images?marker=00000000-0000-4000-8000-000000000000', { token: demo }),
    400,
    'marker 00000000-0000-4000-8000-000000000000 could not be found.',
  );
  glanceRefused(t, await glance.call('GET', '/v2/images?sort_key=nonsense', { token: demo }), 400, 'Invalid sort key: nonsense');
  await done();
});

test('sharing: a shared image lists for the members that accepted it, and member_status filters', async (t) => {
  const { glance, admin, demo, server, done } = await setup('images-sharing');
  const demoProject = (await server.identity.identity.services.directory.projectByName('demo', 'default'))!.id;
  const image = (await glance.call('POST', '/v2/images', { token: admin, body: { name: 'shared-one' } })).body;
  const listed = async (query = '') =>
    (await glance.call('GET', `/v2/images${query}`, { token: demo })).body.images.map((i: { name: string }) => i.name);
  glanceRefused(t, await glance.call('GET', `/v2/images/${image.id}`, { token: demo }), 404, `No image found with ID ${image.id}`); // not shared yet

  const added = await glance.call('POST', `/v2/images/${image.id}/members`, { token: admin, body: { member: demoProject } });
  t.like(added.body, { member_id: demoProject, status: 'pending', image_id: image.id });
  glanceRefused(
    t,
    await glance.call('POST', `/v2/images/${image.id}/members`, { token: admin, body: { member: demoProject } }),
    409,
    `Member ${demoProject} already associated with image ${image.id}.`,
  );
  t.false((await listed()).includes('shared-one'), 'a pending share is not in the default list');
  t.true((await listed('?member_status=pending&visibility=shared')).includes('shared-one'));
  t.is((await glance.call('GET', `/v2/images/${image.id}`, { token: demo })).status, 200, 'a member sees it by id');
  glanceRefused(
    t,
    await glance.call('PUT', `/v2/images/${image.id}/members/${demoProject}`, { token: admin, body: { status: 'accepted' } }),
    403,
    'Only the member may change its status.',
  ); // only the member accepts
  t.is(
    (await glance.call('PUT', `/v2/images/${image.id}/members/${demoProject}`, { token: demo, body: { status: 'accepted' } })).body.status,
    'accepted',
  );
  t.true((await listed()).includes('shared-one'));
  t.deepEqual(
    (await glance.call('GET', `/v2/images/${image.id}/members`, { token: demo })).body.members.map((m: { member_id: string }) => m.member_id),
    [demoProject],
  );
  t.is((await glance.call('PUT', `/v2/images/${image.id}/members/${demoProject}`, { token: demo, body: { status: 'rejected' } })).status, 200);
  t.false((await listed()).includes('shared-one'));
  t.is((await glance.call('DELETE', `/v2/images/${image.id}/members/${demoProject}`, { token: admin })).status, 204);
  glanceRefused(t, await glance.call('GET', `/v2/images/${image.id}`, { token: demo }), 404, `No image found with ID ${image.id}`);
  const schema = await glance.call('GET', '/v2/schemas/image', { token: demo });
  t.is(schema.body.name, 'image');
  t.truthy(schema.body.properties.os_hash_value);
  await done();
});
