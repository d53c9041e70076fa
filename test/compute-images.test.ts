import test from 'ava';
import { randomBytes } from 'node:crypto';
import { at, bootActive, startComputeCloud, TINY_IMAGE_ID, userWithRole, type Api, type ComputeCloud } from './helpers/compute.js';
import { client } from './helpers/identity.js';
import { eventually } from './helpers/drive.js';
import { glanceRefused, novaRefused } from './helpers/refusals.js';

// Nova's image API proxy below 2.36 (images) and 2.39 (their metadata), answered from the image service with the
// caller's credentials; every compute answer is checked against Tempest's schema by the response oracle. And Glance's
// own list filtered by an image's properties, as Nova's filters and Tempest's backup test use it.

let c: ComputeCloud;
let glance: Api;
let glanceUrl: string;
let other: string;

test.before(async () => {
  c = await startComputeCloud('compute-images');
  glanceUrl = c.cloud.images!.url;
  glance = client(glanceUrl);
  other = await userWithRole(c, 'images-other', 'member', 'images-other');
});
test.after.always(async () => {
  await c?.stop();
});

const nova = (method: string, path: string, token = c.demo, body?: unknown, version?: string) =>
  c.nova.call(method, `/v2.1${path}`, { token, ...(body === undefined ? {} : { body }), headers: version ? at(version) : {} });

async function newImage(token: string, body: Record<string, unknown>, data?: Buffer): Promise<string> {
  const r = await glance.call('POST', '/v2/images', { token, body: { disk_format: 'raw', container_format: 'bare', ...body } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  if (data) {
    const up = await fetch(`${glanceUrl}/v2/images/${r.body.id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(data),
    });
    if (up.status !== 204) throw new Error(await up.text());
  }
  return r.body.id as string;
}

test('show: Glance fields in Nova words (status, progress, size, metadata, links), queued as SAVING, a snapshot with its server', async (t) => {
  const data = randomBytes(4096);
  const id = await newImage(c.demo, { name: 'proxied', min_ram: 64, min_disk: 1, os_distro: 'debian', auto_disk_config: 'True' }, data);
  const shown = await nova('GET', `/images/${id}`);
  t.is(shown.status, 200);
  const image = shown.body.image;
  t.like(image, {
    id,
    name: 'proxied',
    minRam: 64,
    minDisk: 1,
    status: 'ACTIVE',
    progress: 100,
    'OS-EXT-IMG-SIZE:size': 4096,
    'OS-DCF:diskConfig': 'AUTO',
    metadata: { os_distro: 'debian', auto_disk_config: 'True' },
  });
  t.regex(image.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.false('server' in image);
  const base = c.cloud.compute!.url;
  t.deepEqual(image.links, [
    { rel: 'self', href: `${base}/v2.1/images/${id}` },
    { rel: 'bookmark', href: `${base}/images/${id}` },
    { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceUrl}/images/${id}` },
  ]);

  const queued = await newImage(c.demo, { name: 'no data yet' });
  t.like((await nova('GET', `/images/${queued}`)).body.image, { status: 'SAVING', progress: 25, 'OS-EXT-IMG-SIZE:size': 0, metadata: {} });

  const server = await bootActive(c, c.demo, 'snapshotted');
  const act = await nova('POST', `/servers/${server}/action`, c.demo, { createImage: { name: 'snap' } });
  t.is(act.status, 202);
  const snapshot = act.headers.get('location')!.split('/').pop()!;
  await eventually(async () => (await nova('GET', `/images/${snapshot}`)).body.image.status === 'ACTIVE');
  const snap = (await nova('GET', `/images/${snapshot}`)).body.image;
  t.deepEqual(snap.server, {
    id: server,
    links: [
      { rel: 'self', href: `${base}/v2.1/servers/${server}` },
      { rel: 'bookmark', href: `${base}/servers/${server}` },
    ],
  });
  t.like(snap.metadata, { image_type: 'snapshot', instance_uuid: server });
  // Nova's filters: by server (id or link) and type, on the summary and the detail lists.
  for (const path of [`/images?server=${server}`, `/images/detail?server=${encodeURIComponent(snap.server.links[0].href)}&type=snapshot`]) {
    const listed = await nova('GET', path);
    t.deepEqual(
      listed.body.images.map((i: { id: string }) => i.id),
      [snapshot],
      path,
    );
  }
  t.deepEqual((await nova('GET', `/images?type=backup&server=${server}`)).body.images, []);

  novaRefused(t, await nova('GET', `/images/${crypto.randomUUID()}`), 404, 'Image not found.');
  // Another project's private image is not found.
  novaRefused(t, await nova('GET', `/images/${id}`, other), 404, 'Image not found.');
});

test('lists: summary and detail, Nova filters (name, status, minRam, property-*, changes-since), limit, marker and images_links', async (t) => {
  const tag = `list-${Date.now()}`;
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push(await newImage(c.demo, { name: `${tag}-${n}`, min_ram: 100 + n, flavour: tag }, randomBytes(16)));
  const summary = await nova('GET', `/images?property-flavour=${tag}`);
  t.is(summary.status, 200);
  t.deepEqual(Object.keys(summary.body.images[0]).sort(), ['id', 'links', 'name']);
  // Glance's default order: newest first.
  t.deepEqual(
    summary.body.images.map((i: { id: string }) => i.id),
    [...ids].reverse(),
  );
  const byName = await nova('GET', `/images/detail?name=${tag}-2`);
  t.deepEqual(
    byName.body.images.map((i: { id: string }) => i.id),
    [ids[1]],
  );
  t.deepEqual(
    (await nova('GET', `/images/detail?property-flavour=${tag}&minRam=103`)).body.images.map((i: { id: string }) => i.id),
    [ids[2]],
  );
  t.deepEqual((await nova('GET', `/images?property-flavour=${tag}&status=SAVING`)).body.images, []);
  t.is((await nova('GET', `/images?property-flavour=${tag}&status=active`)).body.images.length, 3);
  const first = (await nova('GET', `/images/${ids[0]}`)).body.image;
  t.true((await nova('GET', `/images?changes-since=${first.updated}&property-flavour=${tag}`)).body.images.length === 3);
  t.deepEqual((await nova('GET', `/images?changes-since=2999-01-01T00:00:00Z&property-flavour=${tag}`)).body.images, []);

  const page = await nova('GET', `/images/detail?property-flavour=${tag}&limit=2`);
  t.deepEqual(
    page.body.images.map((i: { id: string }) => i.id),
    [ids[2], ids[1]],
  );
  const next = new URL(page.body.images_links[0].href);
  t.is(page.body.images_links[0].rel, 'next');
  t.is(next.pathname, '/v2.1/images/detail');
  t.is(next.searchParams.get('marker'), ids[1]);
  const rest = await nova('GET', `/images/detail${next.search}`);
  t.deepEqual(
    rest.body.images.map((i: { id: string }) => i.id),
    [ids[0]],
  );
  t.false('images_links' in rest.body);
  // The shared tiny image shows to everyone.
  t.true((await nova('GET', '/images', other)).body.images.some((i: { id: string }) => i.id === TINY_IMAGE_ID));
  t.false((await nova('GET', `/images?property-flavour=${tag}`, other)).body.images.length > 0);

  novaRefused(t, await nova('GET', '/images?limit=-1'), 400, 'Invalid input received: limit must be >= 0');
  novaRefused(t, await nova('GET', `/images?marker=${crypto.randomUUID()}`), 400, /^marker [0-9a-f-]+ could not be found\. \(HTTP 400\)$/);
  novaRefused(t, await nova('GET', '/images?changes-since=yesterday'), 400, /Bad "updated_at" query filter format/);
});

test('from 2.36 the images, from 2.39 their metadata, are 404; below, both answer', async (t) => {
  for (const path of ['/images', '/images/detail', `/images/${TINY_IMAGE_ID}`]) {
    t.is((await nova('GET', path, c.demo, undefined, '2.35')).status, 200, path);
    novaRefused(t, await nova('GET', path, c.demo, undefined, '2.36'), 404, 'The resource could not be found.');
  }
  novaRefused(t, await nova('DELETE', `/images/${TINY_IMAGE_ID}`, c.admin, undefined, '2.36'), 404, 'The resource could not be found.');
  t.is((await nova('GET', `/images/${TINY_IMAGE_ID}/metadata`, c.demo, undefined, '2.38')).status, 200);
  novaRefused(t, await nova('GET', `/images/${TINY_IMAGE_ID}/metadata`, c.demo, undefined, '2.39'), 404, 'The resource could not be found.');
  novaRefused(
    t,
    await nova('PUT', `/images/${TINY_IMAGE_ID}/metadata/a`, c.demo, { meta: { a: 'b' } }, '2.39'),
    404,
    'The resource could not be found.',
  );
});

test('delete: the owner deletes (then 404 in both APIs); another project 404 or 403, a protected image 403, nothing changed', async (t) => {
  const mine = await newImage(c.demo, { name: 'to delete' }, randomBytes(64));
  novaRefused(t, await nova('DELETE', `/images/${mine}`, other), 404, 'Image not found.');
  novaRefused(t, await nova('DELETE', `/images/${TINY_IMAGE_ID}`), 403, 'You are not allowed to delete the image.');
  const locked = await newImage(c.demo, { name: 'protected', protected: true });
  novaRefused(t, await nova('DELETE', `/images/${locked}`), 403, 'You are not allowed to delete the image.');
  t.is((await glance.call('GET', `/v2/images/${locked}`, { token: c.demo })).body.status, 'queued');
  t.is((await glance.call('GET', `/v2/images/${TINY_IMAGE_ID}`, { token: c.demo })).body.status, 'active');

  const deleted = await nova('DELETE', `/images/${mine}`);
  t.is(deleted.status, 204);
  novaRefused(t, await nova('GET', `/images/${mine}`), 404, 'Image not found.');
  glanceRefused(t, await glance.call('GET', `/v2/images/${mine}`, { token: c.demo }), 404, `No image found with ID ${mine}`);
  novaRefused(t, await nova('DELETE', `/images/${mine}`), 404, 'Image not found.');
  novaRefused(t, await nova('DELETE', '/images/'), 404, 'The resource could not be found.');
});

test('metadata: list, merge, replace, one item read, set and deleted; refusals as Nova words them', async (t) => {
  const id = await newImage(c.demo, { name: 'meta', os_distro: 'debian', os_version: '12' });
  const path = `/images/${id}/metadata`;
  t.deepEqual((await nova('GET', path)).body, { metadata: { os_distro: 'debian', os_version: '12' } });
  const merged = await nova('POST', path, c.demo, { metadata: { os_version: '13', architecture: 'x86_64' } });
  t.is(merged.status, 200);
  t.deepEqual(merged.body, { metadata: { os_distro: 'debian', os_version: '13', architecture: 'x86_64' } });
  const replaced = await nova('PUT', path, c.demo, { metadata: { hw_disk_bus: 'virtio' } });
  t.deepEqual(replaced.body, { metadata: { hw_disk_bus: 'virtio' } });
  t.deepEqual((await glance.call('GET', `/v2/images/${id}`, { token: c.demo })).body.hw_disk_bus, 'virtio');
  t.false('os_distro' in (await glance.call('GET', `/v2/images/${id}`, { token: c.demo })).body);
  t.deepEqual((await nova('GET', `${path}/hw_disk_bus`)).body, { meta: { hw_disk_bus: 'virtio' } });
  const set = await nova('PUT', `${path}/os_type`, c.demo, { meta: { os_type: 'linux' } });
  t.deepEqual(set.body, { meta: { os_type: 'linux' } });
  t.deepEqual((await nova('GET', path)).body.metadata, { hw_disk_bus: 'virtio', os_type: 'linux' });
  t.is((await nova('DELETE', `${path}/os_type`)).status, 204);
  t.deepEqual((await nova('GET', path)).body.metadata, { hw_disk_bus: 'virtio' });

  novaRefused(t, await nova('GET', `${path}/missing`), 404, 'The resource could not be found.');
  novaRefused(t, await nova('DELETE', `${path}/missing`), 404, 'Invalid metadata key');
  novaRefused(t, await nova('PUT', `${path}/a`, c.demo, { meta: { b: 'c' } }), 400, 'Request body and URI mismatch');
  novaRefused(t, await nova('PUT', `${path}/a`, c.demo, { meta: { a: 'b', c: 'd' } }), 400, /meta/);
  novaRefused(t, await nova('POST', path, c.demo, { metadata: { a: 1 } }), 400, /1 is not of type 'string'/);
  novaRefused(t, await nova('POST', `/images/${crypto.randomUUID()}/metadata`, c.demo, { metadata: { a: 'b' } }), 404, 'Image not found.');
  // Another project: its private image is not found; a public one is not its to change.
  novaRefused(t, await nova('GET', path, other), 404, 'Image not found.');
  novaRefused(
    t,
    await nova('POST', `/images/${TINY_IMAGE_ID}/metadata`, other, { metadata: { a: 'b' } }),
    403,
    `Not authorized for image ${TINY_IMAGE_ID}.`,
  );
  novaRefused(t, await nova('DELETE', `/images/${TINY_IMAGE_ID}/metadata/os_distro`, other), 403, `Not authorized for image ${TINY_IMAGE_ID}.`);
  // Nova's metadata_items quota (128) bounds an image's properties.
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
  novaRefused(t, await nova('PUT', path, c.demo, { metadata: many }), 403, 'Image metadata limit exceeded');
  t.deepEqual((await nova('GET', path)).body.metadata, { hw_disk_bus: 'virtio' });
});

test("Glance's list filters by an image's own properties, by time, size and operators, as Glance does", async (t) => {
  const stamp = `f-${Date.now()}`;
  const backup = await newImage(c.demo, { name: `${stamp}-b`, image_type: 'backup', instance_uuid: stamp }, randomBytes(10));
  const snapshot = await newImage(c.demo, { name: `${stamp}-s`, image_type: 'snapshot', instance_uuid: stamp }, randomBytes(1000));
  const list = async (query: string) => {
    const r = await glance.call('GET', `/v2/images?${query}`, { token: c.demo });
    t.is(r.status, 200, JSON.stringify(r.body));
    return r.body.images.map((i: { id: string }) => i.id);
  };
  t.deepEqual(await list(`image_type=backup&instance_uuid=${stamp}`), [backup]);
  t.deepEqual(await list(`instance_uuid=${stamp}&sort=name:asc`), [backup, snapshot]);
  t.deepEqual(await list(`instance_uuid=${stamp}&size_min=100`), [snapshot]);
  t.deepEqual(await list(`instance_uuid=${stamp}&size_max=100`), [backup]);
  t.deepEqual(await list(`name=in:${stamp}-s,"${stamp}-x"&instance_uuid=${stamp}`), [snapshot]);
  const created = (await glance.call('GET', `/v2/images/${backup}`, { token: c.demo })).body.created_at;
  t.deepEqual(await list(`instance_uuid=${stamp}&created_at=lt:${created}`), []);
  t.is((await list(`instance_uuid=${stamp}&updated_at=gte:${created}`)).length, 2);
  t.deepEqual(await list(`instance_uuid=${stamp}&min_ram=99999999999`), []);

  glanceRefused(t, await glance.call('GET', '/v2/images?name=like:x', { token: c.demo }), 400, "Unable to filter by unknown operator 'like'.");
  glanceRefused(t, await glance.call('GET', '/v2/images?created_at=gte:soon', { token: c.demo }), 400, /Bad "created_at" query filter format/);
  glanceRefused(
    t,
    await glance.call('GET', '/v2/images?size_min=big', { token: c.demo }),
    400,
    'Unable to filter on a range with a non-numeric value.',
  );
  glanceRefused(
    t,
    await glance.call('GET', '/v2/images?changes-since=2020-01-01T00:00:00Z', { token: c.demo }),
    400,
    'The "changes-since" filter is no longer available on v2.',
  );
  glanceRefused(t, await glance.call('GET', '/v2/images?name=in:"unclosed', { token: c.demo }), 400, /The quote is not closed/);
  const many = Array.from({ length: 65 }, (_, i) => `p${i}=x`).join('&');
  glanceRefused(t, await glance.call('GET', `/v2/images?${many}`, { token: c.demo }), 400, 'Too many filters: at most 64 may be given.');
  novaRefused(
    t,
    await nova('GET', `/images?${many.replace(/p(\d+)=/g, 'property-p$1=')}`),
    400,
    'Too many filters: at most 64 may be given. (HTTP 400)',
  );
});
