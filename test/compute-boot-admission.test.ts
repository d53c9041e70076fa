import test from 'ava';
import { at, boot, startComputeCloud, TINY_IMAGE_ID, userWithRole, type ComputeCloud } from './helpers/compute.js';
import { python } from './helpers/cloud-process.js';
import { eventually } from './helpers/drive.js';

// What a boot is admitted with: counts from 1 to absurd (never a 500), the per-request cap past an
// unlimited quota, and block device mappings as openstacksdk sends them with every image boot.
let c: ComputeCloud;

test.before(async () => {
  c = await startComputeCloud('compute-boot-admission', { libvirt: { simulatedHosts: 1 }, quotas: { maxServersPerRequest: 3 } }, undefined, {
    demoQuotas: 'default',
  });
});
test.after.always(async () => {
  await c?.stop();
});

const names = async (token: string) =>
  ((await c.nova.call('GET', '/v2.1/servers', { token })).body.servers as Array<{ name: string }>).map((s) => s.name).sort();
const OTHER_IMAGE = '0b3c6a52-7d1e-4f0a-9c8b-2e5d4f6a7b8c';
/** What openstacksdk (and OSC 7 through it) adds to every image boot. */
const localImage = (uuid = TINY_IMAGE_ID, extra: Record<string, unknown> = {}) => [
  { source_type: 'image', destination_type: 'local', boot_index: 0, uuid, delete_on_termination: true, ...extra },
];

test.serial('absurd counts are the quota fault Nova gives, never a 500; max_count takes as many as the quota allows', async (t) => {
  const huge = await boot(c.nova, c.demo, 'huge', { min_count: 1e308 });
  t.is(huge.status, 403, JSON.stringify(huge.body));
  const big = BigInt(1e308);
  t.deepEqual(huge.body, {
    forbidden: {
      code: 403,
      message: `Quota exceeded for instances, cores, ram: Requested ${big}, ${big}, ${big * 512n}, but already used 0, 0, 0 of 10, 20, 51200 instances, cores, ram`,
    },
  });
  const text = await boot(c.nova, c.demo, 'text', { min_count: '1000000000000000000000000000000' });
  t.is(text.status, 403, JSON.stringify(text.body));
  t.regex(text.body.forbidden.message, /^Quota exceeded for instances, cores, ram: Requested 1\d{30}, /);
  t.deepEqual(await names(c.demo), [], 'refused boots leave nothing behind');

  const token = await userWithRole(c, 'pair', 'member', 'pair');
  const project = (await c.keystone.call('GET', '/v3/projects?name=pair', { token: c.admin })).body.projects[0].id;
  await c.cloud.db.models.Quota.create({ project_id: project, resource: 'instances', hard_limit: 2 });
  const most = await boot(c.nova, token, 'most', { max_count: 1e30 });
  t.is(most.status, 202, JSON.stringify(most.body));
  t.deepEqual(await names(token), ['most-1', 'most-2']);
});

test.serial('past an unlimited quota one request creates at most quotas.maxServersPerRequest servers', async (t) => {
  const over = await boot(c.nova, c.admin, 'over', { min_count: 4 });
  t.is(over.status, 400);
  t.deepEqual(over.body, { badRequest: { code: 400, message: 'min_count 4 exceeds the 3 servers one request may create on this cloud.' } });
  const absurd = await boot(c.nova, c.admin, 'absurd', { min_count: 1e308 });
  t.is(absurd.status, 400);
  t.is(absurd.body.badRequest.message, `min_count ${BigInt(1e308)} exceeds the 3 servers one request may create on this cloud.`);
  t.deepEqual(await names(c.admin), []);
  const capped = await boot(c.nova, c.admin, 'capped', { max_count: 1e30 });
  t.is(capped.status, 202, JSON.stringify(capped.body));
  t.deepEqual(await names(c.admin), ['capped-1', 'capped-2', 'capped-3']);
});

test.serial('an image mapped to the local disk at boot index 0 is an ordinary image boot, with imageRef or with it empty', async (t) => {
  const withRef = await boot(c.nova, c.demo, 'sdk-style', { block_device_mapping_v2: localImage() });
  t.is(withRef.status, 202, JSON.stringify(withRef.body));
  const emptyRef = await boot(c.nova, c.demo, 'empty-ref', { imageRef: '', block_device_mapping_v2: localImage(TINY_IMAGE_ID, { boot_index: '0' }) });
  t.is(emptyRef.status, 202, JSON.stringify(emptyRef.body));
  for (const id of [withRef.body.server.id, emptyRef.body.server.id]) {
    let server: any;
    await eventually(async () => (server = (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.demo })).body.server).status === 'ACTIVE');
    t.is(server.image.id, TINY_IMAGE_ID);
  }
});

test.serial('other block device mappings are refused clearly, as Nova refuses them or for want of volumes', async (t) => {
  const before = await names(c.demo);
  const refused = async (extra: Record<string, unknown>, message: string, version = '2.1') => {
    const r = await boot(c.nova, c.demo, 'refused', extra, at(version));
    t.is(r.status, 400, JSON.stringify(r.body));
    t.deepEqual(r.body, { badRequest: { code: 400, message } });
  };
  await refused(
    { imageRef: undefined, block_device_mapping_v2: localImage() },
    'Block Device Mapping is Invalid: Mapping image to local is not supported.',
  );
  await refused(
    { block_device_mapping_v2: localImage(TINY_IMAGE_ID, { boot_index: 1 }) },
    'Block Device Mapping is Invalid: Mapping image to local is not supported.',
  );
  await refused(
    { block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', boot_index: 0, uuid: OTHER_IMAGE }] },
    'Booting from volume is not supported by this cloud yet.',
  );
  await refused(
    {
      imageRef: '',
      block_device_mapping_v2: [{ source_type: 'image', destination_type: 'volume', boot_index: 0, uuid: TINY_IMAGE_ID, volume_size: 1 }],
    },
    'Booting from volume is not supported by this cloud yet.',
  );
  await refused(
    { block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'local', boot_index: -1, guest_format: 'swap', volume_size: 1 }] },
    'Booting from volume is not supported by this cloud yet.',
  );
  await refused(
    { block_device_mapping: [{ volume_id: OTHER_IMAGE, device_name: 'vda' }] },
    'Booting from volume is not supported by this cloud yet.',
  );
  await refused(
    { block_device_mapping: [{ volume_id: OTHER_IMAGE, device_name: 'vda' }], block_device_mapping_v2: localImage() },
    'Using different block_device_mapping syntaxes is not allowed in the same request.',
  );
  await refused(
    { block_device_mapping_v2: [{ source_type: 'image', destination_type: 'local', boot_index: 0 }] },
    'Block Device Mapping is Invalid: Missing device UUID.',
  );
  await refused({ block_device_mapping_v2: localImage(OTHER_IMAGE) }, `Block Device Mapping is Invalid: failed to get image ${OTHER_IMAGE}.`);
  await refused({ imageRef: '', block_device_mapping_v2: localImage(OTHER_IMAGE) }, 'Can not find requested image');
  t.deepEqual(await names(c.demo), before, 'nothing was created');
});

test.serial('openstacksdk boots with the image mapping it adds for OSC 7, and hears a volume mapping refused', async (t) => {
  const r = await python(
    c.config.identity.cloudsYaml,
    `
import json, openstack
from openstack import exceptions
conn = openstack.connect(cloud='stratus-demo')
local = [{'source_type': 'image', 'destination_type': 'local', 'boot_index': 0, 'uuid': '${TINY_IMAGE_ID}', 'delete_on_termination': True}]
server = conn.compute.create_server(name='osc7', image_id='${TINY_IMAGE_ID}', flavor_id='1', networks='none', block_device_mapping=local)
server = conn.compute.wait_for_server(server, status='ACTIVE', interval=0.2, wait=120)
try:
    conn.compute.create_server(name='vol', image_id='${TINY_IMAGE_ID}', flavor_id='1', networks='none',
        block_device_mapping=[{'source_type': 'volume', 'destination_type': 'volume', 'boot_index': 0, 'uuid': '${OTHER_IMAGE}'}])
    refused = 'ok'
except exceptions.HttpException as e:
    refused = [e.status_code, str(e.details or e.message)]
print(json.dumps({'status': server.status, 'image': server.image.id, 'refused': refused}))
`,
  );
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.json, { status: 'ACTIVE', image: TINY_IMAGE_ID, refused: [400, 'Booting from volume is not supported by this cloud yet.'] });
});
