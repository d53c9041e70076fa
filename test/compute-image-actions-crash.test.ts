import test from 'ava';
import { join } from 'node:path';
import { startCloudProcess } from './helpers/cloud-process.js';
import { boot, domainsOf, settled } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, client } from './helpers/identity.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

// kill -9 of Stratus while a snapshot and a shelve are under way on their simulated host (held there by the test-only
// faults.spawnDelayMs), then a restart: each ends in a state Nova could end in, with no orphan domain on any host.
//   createImage: finished (ACTIVE, the image active with its source’s data), or reverted (ACTIVE with a
//                fault, the image deleted).
//   shelve:      finished (SHELVED_OFFLOADED at Nova's default shelved_offload_time 0: no domain anywhere, the
//                shelved image active), or reverted (ACTIVE or SHUTOFF with a fault, its domain on its host).
test('after kill -9 during a snapshot and a shelve, and a restart: each finished or reverted, no orphan domain', async (t) => {
  const env = { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const c = await startTestCloud('image-actions-crash', env);
  try {
    const stateDir = c.env.STRATUS_STATE_DIR;
    const uris = [1, 2].map((i) => `test+unix:///default?socket=${join(stateDir, 'hv', String(i), 'libvirt-sock')}`);
    const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
    const nova = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`);
    const glance = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_IMAGE}`);
    const act = (id: string, body: unknown) =>
      nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: { 'OpenStack-API-Version': 'compute 2.45' } });
    for (const name of ['snap-vm', 'shelf-vm']) t.is((await boot(nova, token, name)).status, 202);
    const servers = await settled(nova, token);
    const id = (name: string) => servers.find((s) => s.name === name).id as string;

    // Started again with the hold: the hosts take the orders and wait.
    await c.cloud.stop();
    c.cloud = await startCloudProcess({ ...c.env, STRATUS_FAULTS_SPAWN_DELAY_MS: '600000' });
    const snap = await act(id('snap-vm'), { createImage: { name: 'crash-snap' } });
    t.is(snap.status, 202, JSON.stringify(snap.body));
    t.is((await act(id('shelf-vm'), { shelve: null })).status, 202);
    await eventually(() => c.cloud.lines.filter((l) => l.msg === 'image operation held (test-only fault)').length >= 2, 30_000);
    // The task states in the database at the kill.
    const atKill = Object.fromEntries(
      await Promise.all(
        ['snap-vm', 'shelf-vm'].map(async (name) => {
          const s = (await nova.call('GET', `/v2.1/servers/${id(name)}`, { token })).body.server;
          return [name, s['OS-EXT-STS:task_state']] as const;
        }),
      ),
    );
    t.deepEqual(atKill, { 'snap-vm': 'image_snapshot', 'shelf-vm': 'shelving' });
    c.cloud.child.kill('SIGKILL');
    await new Promise((resolve) => c.cloud.child.once('exit', resolve));
    c.cloud = await startCloudProcess(c.env);

    const after = await settled(nova, token);
    const domains = await domainsOf(uris);
    const snapVm = after.find((s) => s.name === 'snap-vm');
    const shelfVm = after.find((s) => s.name === 'shelf-vm');
    const image = (await glance.call('GET', `/v2/images/${snap.body.image_id}`, { token })).body;
    t.is(snapVm.status, 'ACTIVE');
    if (snapVm.fault) t.is(image, undefined, 'a reverted snapshot leaves no image');
    else t.is(image.status, 'active', 'a finished snapshot is active');
    t.is(domains.get(snapVm.id)?.powerState, 1, 'the snapshotted guest runs on');
    t.log(`snapshot: ${snapVm.fault ? 'reverted' : 'finished'}; shelve: ${shelfVm.status}`);
    if (shelfVm.status === 'SHELVED_OFFLOADED') {
      t.is(domains.get(shelfVm.id), undefined, 'an offloaded server has no domain anywhere');
      const shelved = (await glance.call('GET', '/v2/images?name=shelf-vm-shelved', { token })).body.images;
      t.like(shelved, [{ status: 'active' }]);
    } else {
      t.true(['ACTIVE', 'SHUTOFF'].includes(shelfVm.status), `shelve ended as ${shelfVm.status}`);
      t.truthy(shelfVm.fault);
      t.truthy(domains.get(shelfVm.id));
    }
    // No domain on any host that no server owns.
    const owned = new Set(after.map((s) => s.id as string));
    t.deepEqual(
      [...domains.keys()].filter((uuid) => !owned.has(uuid)),
      [],
    );
  } finally {
    await stopTestCloud(c);
  }
});
