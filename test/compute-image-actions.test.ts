import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { at, boot, startComputeCloud, TINY_IMAGE_ID, userWithRole, type ComputeCloud } from './helpers/compute.js';
import { drive, eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';
import { novaRefused } from './helpers/refusals.js';

// The image-based server actions (createImage, createBackup, shelve, shelveOffload, unshelve, rescue, unrescue,
// rebuild) through the Compute API on simulated hypervisors: their states, 409s, instance actions and events, and
// what they do to the hosts (domains defined and undefined, capacity in os-hypervisors) and the image service.
const clock = new SimulatedClock(Date.UTC(2026, 11, 7, 3));
const OFFLOAD_MS = 60_000;
let c: ComputeCloud;
let glance: ReturnType<typeof client>;

test.before(async () => {
  c = await startComputeCloud(
    'compute-image-actions',
    {
      libvirt: {
        hosts: [
          { name: 'compute-1', memoryMb: 8192 },
          { name: 'compute-2', memoryMb: 8192 },
        ],
      },
      timeouts: { shelvedOffloadMs: OFFLOAD_MS },
    },
    clock,
  );
  glance = client(c.cloud.images!.url);
});
test.after.always(async () => {
  await c?.stop();
});

const act = (token: string, id: string, body: unknown, version?: string) =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: version ? at(version) : {} });
const show = async (id: string, version = '2.93') =>
  (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at(version) })).body.server;
const image = async (id: string) => (await glance.call('GET', `/v2/images/${id}`, { token: c.admin })).body;
const imageStatus = async (id: string) => (await glance.call('GET', `/v2/images/${id}`, { token: c.admin })).status;
const conflict = (id: string, action: string, attr: string, state: string) => `Cannot '${action}' instance ${id} while it is in ${attr} ${state}`;

async function until(id: string, done: (s: any) => boolean): Promise<any> {
  let server: any;
  try {
    await eventually(async () => done((server = await show(id))), 30_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${JSON.stringify(server)}`);
  }
  return server;
}
const settledIn = (id: string, status: string) => until(id, (s) => s.status === status && s['OS-EXT-STS:task_state'] === null);

async function active(name: string, token = c.demo, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await boot(c.nova, token, name, extra);
  if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
  await settledIn(r.body.server.id, 'ACTIVE');
  return r.body.server.id;
}

const hostUri = (host: string) => c.cloud.hosts.find((h) => h.name === host)!.uri;
/** The server's domain on a host, straight from the hypervisor: its status and its definition's description. */
async function domainOn(host: string, id: string) {
  const connection = new LibvirtConnection(hostUri(host));
  try {
    const status = await connection.status(id);
    return status ? { ...status, description: await connection.description(id) } : undefined;
  } finally {
    await connection.close();
  }
}
const memoryUsed = async (host: string) =>
  (await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin, headers: at('2.1') })).body.hypervisors.find(
    (h: any) => h.hypervisor_hostname === host,
  ).memory_mb_used as number;

/** The server's instance action of this request, with its events. */
async function actionOf(id: string, requestId: string) {
  return (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: c.admin, headers: at('2.84') })).body
    .instanceAction;
}
const requestOf = (r: { headers: Headers }) => r.headers.get('x-openstack-request-id')!;

test('createImage: a snapshot with Nova properties and its source image data; image_id from 2.45, Location before; its action and event', async (t) => {
  const id = await active('snapper');
  const r = await act(c.demo, id, { createImage: { name: 'snap-1', metadata: { purpose: 'test' } } }, '2.45');
  t.is(r.status, 202, JSON.stringify(r.body));
  const imageId = r.body.image_id as string;
  t.regex(imageId, /^[0-9a-f-]{36}$/);
  await eventually(async () => (await image(imageId)).status === 'active', 30_000);
  const snap = await image(imageId);
  const tiny = await image(TINY_IMAGE_ID);
  t.like(snap, {
    name: 'snap-1',
    visibility: 'private',
    image_type: 'snapshot',
    instance_uuid: id,
    base_image_ref: TINY_IMAGE_ID,
    purpose: 'test',
    // Inherited from the source image, as Nova's compute utils pass them on; the data is its source's on a simulated host.
    os_distro: 'stratus-tiny',
    disk_format: tiny.disk_format,
    checksum: tiny.checksum,
    size: tiny.size,
  });
  const demoProject = (await c.keystone.call('GET', '/v3/projects?name=demo', { token: c.admin })).body.projects[0].id;
  t.is(snap.owner, demoProject);
  t.truthy(snap.user_id);
  const after = await settledIn(id, 'ACTIVE');
  t.is(after['OS-EXT-STS:vm_state'], 'active');
  const action = await actionOf(id, requestOf(r));
  t.is(action.action, 'createImage');
  t.like(action.events[0], { event: 'compute_snapshot_instance', result: 'Success', host: after['OS-EXT-SRV-ATTR:host'] });

  // Before 2.45: no body, the image's address in Location.
  const old = await act(c.demo, id, { createImage: { name: 'snap-2' } });
  t.is(old.status, 202);
  t.is(old.body, undefined);
  const location = old.headers.get('location')!;
  t.regex(location, new RegExp(`^${c.cloud.images!.url}/v2/images/[0-9a-f-]{36}$`));
  await eventually(async () => (await glance.call('GET', new URL(location).pathname, { token: c.admin })).body?.status === 'active', 30_000);
  await settledIn(id, 'ACTIVE');
});

test('createBackup: image_type backup with its type; rotation keeps the newest; a wrong body is 400', async (t) => {
  const id = await active('backed');
  const made: string[] = [];
  for (const n of [1, 2, 3]) {
    const r = await act(c.demo, id, { createBackup: { name: `nightly-${n}`, backup_type: 'daily', rotation: 2 } }, '2.45');
    t.is(r.status, 202, JSON.stringify(r.body));
    made.push(r.body.image_id);
    await settledIn(id, 'ACTIVE');
    // Backups a moment apart: rotation goes by age.
    await clock.advance(1_000);
  }
  await eventually(async () => (await imageStatus(made[0])) === 404, 30_000);
  t.like(await image(made[1]), { status: 'active', image_type: 'backup', backup_type: 'daily', instance_uuid: id });
  t.like(await image(made[2]), { status: 'active' });
  const r = await actionOf(
    id,
    (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.admin })).body.instanceActions[0].request_id,
  );
  t.is(r.action, 'createBackup');
  t.like(r.events[0], { event: 'compute_backup_instance', result: 'Success' });
  novaRefused(t, await act(c.demo, id, { createBackup: { name: 'x', backup_type: 'daily' } }), 400, /'rotation' is a required property/);
  novaRefused(t, await act(c.demo, id, { createBackup: { name: 'x', backup_type: 'daily', rotation: -1 } }), 400, /rotation/);
  novaRefused(t, await act(c.demo, id, { createImage: { name: 'x', extra: 1 } }), 400, /Additional properties are not allowed/);
  novaRefused(t, await act(c.demo, id, { createImage: { name: 'x'.repeat(256) } }), 400, /is too long/);
  // More metadata than the project's metadata_items (Nova's default 128): 403, and no image made.
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, n) => [`k${n}`, 'v']));
  novaRefused(t, await act(c.demo, id, { createImage: { name: 'too-much', metadata: many } }), 403, 'Image metadata limit exceeded');
  novaRefused(
    t,
    await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID, metadata: many } }),
    403,
    'Maximum number of metadata items exceeds 128',
  );
  t.is((await glance.call('GET', '/v2/images?name=too-much', { token: c.admin })).body.images.length, 0);
});

// Serial: the clock moved by other tests (a backup's rotation, the offload timer) would offload a shelved server early.
test.serial(
  'shelve, shelveOffload and unshelve: the domain off, then undefined and the capacity freed, then placed anew; the shelved image deleted',
  async (t) => {
    const id = await active('shelver');
    const host = (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
    const before = await memoryUsed(host);
    const r = await act(c.demo, id, { shelve: null });
    t.is(r.status, 202);
    const shelved = await settledIn(id, 'SHELVED');
    t.like(shelved, { 'OS-EXT-STS:vm_state': 'shelved', 'OS-EXT-STS:power_state': 4, 'OS-EXT-SRV-ATTR:host': host });
    t.like(await domainOn(host, id), { powerState: 4 }, 'still defined on its host, shut off');
    const images = (await glance.call('GET', '/v2/images?name=shelver-shelved', { token: c.admin })).body.images;
    t.is(images.length, 1);
    t.like(images[0], { status: 'active', instance_uuid: id, image_type: 'snapshot' });
    const shelvedImage = images[0].id as string;
    t.like((await actionOf(id, requestOf(r))).events[0], { event: 'compute_shelve_instance', result: 'Success' });

    // Shelved: what needs a running or stopped server is refused, and offloading takes an admin.
    novaRefused(t, await act(c.demo, id, { createImage: { name: 'no' } }), 409, conflict(id, 'createImage', 'vm_state', 'shelved'));
    novaRefused(t, await act(c.demo, id, { shelve: null }), 409, conflict(id, 'shelve', 'vm_state', 'shelved'));
    novaRefused(
      t,
      await act(c.demo, id, { shelveOffload: null }),
      403,
      "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed.",
    );
    // A zone or a host only for an offloaded server (2.77, 2.91).
    novaRefused(
      t,
      await act(c.demo, id, { unshelve: { availability_zone: 'nova' } }, '2.77'),
      409,
      `Specifying an availability zone or a host when unshelving server ${id} with status SHELVED is not supported. The server status must be SHELVED_OFFLOADED.`,
    );

    const off = await act(c.admin, id, { shelveOffload: null });
    t.is(off.status, 202);
    const offloaded = await settledIn(id, 'SHELVED_OFFLOADED');
    t.like(offloaded, { 'OS-EXT-SRV-ATTR:host': null, 'OS-EXT-SRV-ATTR:hypervisor_hostname': null, 'OS-EXT-STS:power_state': 0 });
    t.is(await domainOn(host, id), undefined, 'its domain undefined');
    t.is(await memoryUsed(host), before - 512, "the host's capacity released (m1.tiny: 512 MB)");
    t.like((await actionOf(id, requestOf(off))).events[0], { event: 'compute_shelve_offload_instance', result: 'Success' });

    // 2.91: a host is an admin's to name; one that does not exist is 400.
    novaRefused(
      t,
      await act(c.demo, id, { unshelve: { host: 'compute-2' } }, '2.91'),
      403,
      "Policy doesn't allow os_compute_api:os-shelve:unshelve_to_host to be performed.",
    );
    novaRefused(t, await act(c.admin, id, { unshelve: { host: 'nowhere' } }, '2.91'), 400, 'Compute host nowhere could not be found.');
    novaRefused(
      t,
      await act(c.admin, id, { unshelve: { availability_zone: 'atlantis' } }, '2.77'),
      400,
      'The requested availability zone is not available',
    );
    novaRefused(t, await act(c.admin, id, { unshelve: { bogus: 1 } }, '2.91'), 400, /Additional properties are not allowed/);

    const un = await act(c.admin, id, { unshelve: { host: 'compute-2' } }, '2.91');
    t.is(un.status, 202, JSON.stringify(un.body));
    const back = await settledIn(id, 'ACTIVE');
    t.like(back, { 'OS-EXT-SRV-ATTR:host': 'compute-2', 'OS-EXT-STS:power_state': 1 });
    t.like(await domainOn('compute-2', id), { powerState: 1 });
    await eventually(async () => (await imageStatus(shelvedImage)) === 404, 30_000);
    t.like((await actionOf(id, requestOf(un))).events[0], { event: 'compute_unshelve_instance', result: 'Success', host: 'compute-2' });
  },
);

test.serial('unshelve of a server still on its host: it boots there again and the shelved image is deleted; a reader may not shelve', async (t) => {
  const id = await active('kept');
  const host = (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
  const reader = await userWithRole(c, 'image-reader', 'reader', 'demo');
  novaRefused(t, await act(reader, id, { shelve: null }), 403, "Policy doesn't allow os_compute_api:os-shelve:shelve to be performed.");
  t.is((await act(c.demo, id, { shelve: null })).status, 202);
  await settledIn(id, 'SHELVED');
  const image = (await glance.call('GET', '/v2/images?name=kept-shelved', { token: c.admin })).body.images[0].id as string;
  const r = await act(c.demo, id, { unshelve: null }, '2.77');
  t.is(r.status, 202);
  t.like(await settledIn(id, 'ACTIVE'), { 'OS-EXT-SRV-ATTR:host': host, 'OS-EXT-STS:power_state': 1 });
  t.like(await domainOn(host, id), { powerState: 1 });
  await eventually(async () => (await imageStatus(image)) === 404, 30_000);
  t.like((await actionOf(id, requestOf(r))).events[0], { event: 'compute_unshelve_instance', result: 'Success', host });
});

test.serial('deleting a shelved server deletes its shelved image, as Nova does', async (t) => {
  const id = await active('gone-shelf');
  t.is((await act(c.demo, id, { shelve: null })).status, 202);
  await settledIn(id, 'SHELVED');
  const image = (await glance.call('GET', '/v2/images?name=gone-shelf-shelved', { token: c.admin })).body.images[0].id as string;
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo })).status, 204);
  t.is(await imageStatus(image), 404);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).status === 404, 30_000);
});

test.serial('shelved_offload_time: a shelved server is offloaded by itself once that time has passed on the clock', async (t) => {
  const id = await active('idle-shelf');
  const host = (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
  t.is((await act(c.demo, id, { shelve: null })).status, 202);
  await settledIn(id, 'SHELVED');
  t.truthy(await domainOn(host, id), 'kept on its host for now');
  await drive(clock, settledIn(id, 'SHELVED_OFFLOADED'), 1_000, OFFLOAD_MS * 2);
  t.is(await domainOn(host, id), undefined);
  // An offloaded server unshelves into its zone, wherever there is room.
  t.is((await act(c.demo, id, { unshelve: null })).status, 202);
  const back = await settledIn(id, 'ACTIVE');
  t.truthy(await domainOn(back['OS-EXT-SRV-ATTR:host'], id));
});

test('rescue and unrescue: the guest redefined to boot the rescue image and back; adminPass; 409s and the lock', async (t) => {
  const id = await active('rescuee');
  const host = (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
  const r = await act(c.demo, id, { rescue: { adminPass: 'rescue-me', rescue_image_ref: TINY_IMAGE_ID } });
  t.is(r.status, 200, JSON.stringify(r.body));
  t.deepEqual(r.body, { adminPass: 'rescue-me' });
  const rescued = await settledIn(id, 'RESCUE');
  t.is(rescued['OS-EXT-STS:vm_state'], 'rescued');
  t.like(await domainOn(host, id), { powerState: 1, description: `rescue:${TINY_IMAGE_ID}` });
  t.like((await actionOf(id, requestOf(r))).events[0], { event: 'compute_rescue_instance', result: 'Success' });
  novaRefused(t, await act(c.demo, id, { rescue: null }), 409, conflict(id, 'rescue', 'vm_state', 'rescued'));
  novaRefused(t, await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID } }), 409, conflict(id, 'rebuild', 'vm_state', 'rescued'));

  const un = await act(c.demo, id, { unrescue: null });
  t.is(un.status, 202);
  await settledIn(id, 'ACTIVE');
  t.like(await domainOn(host, id), { powerState: 1, description: undefined });
  t.like((await actionOf(id, requestOf(un))).events[0], { event: 'compute_unrescue_instance', result: 'Success' });
  novaRefused(t, await act(c.demo, id, { unrescue: null }), 409, conflict(id, 'unrescue', 'vm_state', 'active'));

  // A rescue without a password gets a generated one; an unknown rescue image is 400.
  novaRefused(t, await act(c.demo, id, { rescue: { rescue_image_ref: '00000000-0000-4000-8000-000000000000' } }), 400, /could not be found/);
  // Locked by its owner: the owner's rescue and shelve are refused, a snapshot is not.
  t.is((await act(c.demo, id, { lock: null })).status, 202);
  novaRefused(t, await act(c.demo, id, { rescue: null }), 409, `Instance ${id} is locked`);
  novaRefused(t, await act(c.demo, id, { shelve: null }), 409, `Instance ${id} is locked`);
  const snap = await act(c.demo, id, { createImage: { name: 'locked-snap' } }, '2.45');
  t.is(snap.status, 202);
  await settledIn(id, 'ACTIVE');
  const admin = await act(c.admin, id, { rescue: null });
  t.is(admin.status, 200);
  t.regex(admin.body.adminPass, /^[2-9A-Za-z]{12}$/);
  await settledIn(id, 'RESCUE');
});

test('rebuild: same UUID, the new fields at 2.90, the server view with adminPass, the domain defined afresh; a stopped server stays stopped', async (t) => {
  const id = await active('rebuilt');
  const host = (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
  const domainBefore = (await domainOn(host, id))!.id;
  const r = await act(
    c.demo,
    id,
    {
      rebuild: {
        imageRef: TINY_IMAGE_ID,
        name: 'rebuilt-2',
        metadata: { role: 'web' },
        description: 'again',
        hostname: 'web-2',
        adminPass: 'new-pass',
        preserve_ephemeral: false,
      },
    },
    '2.90',
  );
  t.is(r.status, 202, JSON.stringify(r.body));
  t.like(r.body.server, { id, name: 'rebuilt-2', status: 'REBUILD', adminPass: 'new-pass', metadata: { role: 'web' }, description: 'again' });
  const after = await settledIn(id, 'ACTIVE');
  t.like(after, { id, name: 'rebuilt-2', 'OS-EXT-SRV-ATTR:hostname': 'web-2', description: 'again' });
  const domain = await domainOn(host, id);
  t.like(domain, { powerState: 1, description: `image:${TINY_IMAGE_ID}` });
  t.not(domain!.id, domainBefore, 'a new domain runs');
  t.like((await actionOf(id, requestOf(r))).events[0], { event: 'compute_rebuild_instance', result: 'Success', host });

  // Refusals: an image that does not exist, a field of a later microversion, personality from 2.57.
  novaRefused(t, await act(c.demo, id, { rebuild: { imageRef: '00000000-0000-4000-8000-000000000000' } }), 400, 'Cannot find image for rebuild');
  novaRefused(
    t,
    await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID, hostname: 'x-1' } }, '2.89'),
    400,
    /Additional properties are not allowed/,
  );
  novaRefused(
    t,
    await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID, personality: [] } }, '2.57'),
    400,
    /Additional properties are not allowed/,
  );
  novaRefused(t, await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID, key_name: 'no-such-key' } }, '2.54'), 400, 'Invalid key_name provided.');

  t.is((await act(c.demo, id, { 'os-stop': null })).status, 202);
  await settledIn(id, 'SHUTOFF');
  t.is((await act(c.demo, id, { rebuild: { imageRef: TINY_IMAGE_ID } })).status, 202);
  t.like(await settledIn(id, 'SHUTOFF'), { 'OS-EXT-STS:power_state': 4 });
  t.like(await domainOn(host, id), { powerState: 4 });
});

test('a server on a real hypervisor: the actions that copy its disks answer 409 saying so', async (t) => {
  // A row as a real host's compute service writes it (its libvirt URI a QEMU one), and a server placed there.
  const id = await active('on-real');
  const row = await c.cloud.db.models.Instance.findByPk(id);
  const host = await c.cloud.db.models.Host.findByPk('compute-1');
  // Disabled, so that no boot of another test is scheduled there.
  await c.cloud.db.models.Host.create({ ...host!.get({ plain: true }), name: 'qemu-real', libvirt_uri: 'qemu:///session', service_disabled: true });
  const real = { ...row!.get({ plain: true }), uuid: '7e4f7a52-0000-4000-8000-00000000abcd', host: 'qemu-real', node: 'qemu-real' };
  await c.cloud.db.models.Instance.create(real);
  for (const body of [{ createImage: { name: 'x' } }, { shelve: null }, { rescue: null }, { rebuild: { imageRef: TINY_IMAGE_ID } }]) {
    const action = Object.keys(body)[0];
    novaRefused(
      t,
      await act(c.admin, real.uuid, body),
      409,
      `Cannot '${action}' instance ${real.uuid}: the action is not supported on host qemu-real yet.`,
    );
  }
  t.is((await glance.call('GET', '/v2/images?name=x', { token: c.admin })).body.images.length, 0, 'no image left behind');
});
