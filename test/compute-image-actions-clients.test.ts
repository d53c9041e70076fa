import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { openstack } from './helpers/cloud-process.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, client, DEMO_PASSWORD } from './helpers/identity.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('postgres');
const run = inThisPass ? test : test.skip;

// The image-based server actions as Debian's `openstack` CLI drives them (novaclient at 2.1 unless told, up to 2.92;
// openstacksdk for some), against a whole cloud in its own process with Nova's default shelved_offload_time (0).

const cloudEnv = { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD, STRATUS_DEMO_PASSWORD: DEMO_PASSWORD };

run('the openstack CLI: server image create, backup create, shelve and unshelve, rescue and unrescue, rebuild; a 409 as it reports it', async (t) => {
  const c = await startTestCloud('image-actions-osc', cloudEnv);
  try {
    const osc = (cloud: string, ...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args]);
    const token = (await client(`http://127.0.0.1:${c.port}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
    const nova = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}`);
    const settled = async (id: string, status: string) => {
      let server: any;
      await eventually(
        async () => {
          server = (await nova.call('GET', `/v2.1/servers/${id}`, { token, headers: { 'OpenStack-API-Version': 'compute 2.93' } })).body.server;
          return server?.status === status && server['OS-EXT-STS:task_state'] === null;
        },
        60_000,
        50,
      );
      return server;
    };
    const ok = async (...args: string[]) => {
      const r = await osc('stratus-demo', ...args);
      t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    // No --wait: the CLI polls every 5 s; the API is read here instead, at once.
    const made = await ok('server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '-f', 'json', 'img-vm');
    const id = made.json.id as string;
    await settled(id, 'ACTIVE');
    const imageStatus = async (name: string) => {
      const glance = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_IMAGE}`);
      let found: any;
      await eventually(
        async () => {
          found = (await glance.call('GET', `/v2/images?name=${name}`, { token })).body.images[0];
          return found?.status === 'active';
        },
        60_000,
        50,
      );
      return found;
    };

    const snap = await ok('server', 'image', 'create', '--name', 'img-vm-snap', '-f', 'json', 'img-vm');
    t.like(snap.json, { name: 'img-vm-snap' });
    t.like(await imageStatus('img-vm-snap'), { image_type: 'snapshot', instance_uuid: id });
    await settled(id, 'ACTIVE');

    const backup = await ok('server', 'backup', 'create', '--name', 'img-vm-daily', '--type', 'daily', '--rotate', '1', '-f', 'json', 'img-vm');
    t.like(backup.json, { name: 'img-vm-daily' });
    t.like(await imageStatus('img-vm-daily'), { image_type: 'backup', backup_type: 'daily' });
    await settled(id, 'ACTIVE');

    // Nova's default shelved_offload_time (0): offloaded at once, the host freed.
    await ok('server', 'shelve', 'img-vm');
    t.like(await settled(id, 'SHELVED_OFFLOADED'), { 'OS-EXT-SRV-ATTR:host': null });
    const refused = await osc('stratus-demo', 'server', 'rescue', 'img-vm');
    t.not(refused.code, 0);
    t.regex(refused.stderr, new RegExp(`Cannot 'rescue' instance ${id} while it is in vm_state shelved_offloaded`));
    await ok('server', 'unshelve', 'img-vm');
    t.like(await settled(id, 'ACTIVE'), { 'OS-EXT-STS:power_state': 1 });

    await ok('server', 'rescue', '--image', 'stratus-tiny', 'img-vm');
    await settled(id, 'RESCUE');
    await ok('server', 'unrescue', 'img-vm');
    await settled(id, 'ACTIVE');

    const rebuilt = await ok(
      '--os-compute-api-version',
      '2.90',
      'server',
      'rebuild',
      '--image',
      'stratus-tiny',
      '--name',
      'img-vm-2',
      '-f',
      'json',
      'img-vm',
    );
    t.like(rebuilt.json, { id, name: 'img-vm-2' }, rebuilt.stdout);
    t.like(await settled(id, 'ACTIVE'), { name: 'img-vm-2' });

    const events = await ok('server', 'event', 'list', '-f', 'json', id);
    t.deepEqual(
      events.json.map((e: any) => e.Action),
      ['rebuild', 'unrescue', 'rescue', 'unshelve', 'shelve', 'createBackup', 'createImage', 'create'],
    );
  } finally {
    await stopTestCloud(c);
  }
});
