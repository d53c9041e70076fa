import test from 'ava';
import { at, boot, bootActive, startComputeCloud, TINY_IMAGE_ID, userWithRole, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';

// POST /servers with every field clients send, Nova's refusals in Nova's words (checked against
// Nova's own request schemas run under python-jsonschema), who may do what, and projects apart.
let c: ComputeCloud;
let reader: string;
let other: string;

test.before(async () => {
  c = await startComputeCloud('compute-servers', { libvirt: { simulatedHosts: 2 } });
  reader = await userWithRole(c, 'watcher', 'reader', 'demo');
  other = await userWithRole(c, 'stranger', 'member', 'elsewhere');
});
test.after.always(async () => {
  await c?.stop();
});

const show = async (id: string, version = '2.93', token = c.admin) =>
  (await c.nova.call('GET', `/v2.1/servers/${id}`, { token, headers: at(version) })).body.server;
const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;
const refused = async (t: any, extra: Record<string, unknown>, version: string, status: number, text: string, token = c.admin) => {
  const r = await boot(c.nova, token, 'refused', extra, at(version));
  t.is(r.status, status, JSON.stringify(r.body));
  t.is(message(r), text);
};
const NETWORK = '3b2b5f7e-8f0e-4f4c-9d2a-0f1e2d3c4b5a';

test.serial('a boot at 2.93 records every field it is given; the 202 answers as Nova', async (t) => {
  const userData = Buffer.from('#!/bin/sh\necho hello\n').toString('base64');
  const r = await boot(
    c.nova,
    c.demo,
    'full',
    {
      networks: 'none',
      metadata: { role: 'web', 'tier:1': 'front end' },
      user_data: userData,
      description: 'the front',
      tags: ['b', 'a', 'b'],
      hostname: 'front-1',
      accessIPv4: '192.0.2.10',
      accessIPv6: '2001:db8::10',
      config_drive: true,
      'OS-DCF:diskConfig': 'AUTO',
      adminPass: 'sekrit',
      security_groups: [{ name: 'default' }],
    },
    at('2.93'),
  );
  t.is(r.status, 202);
  const id = r.body.server.id;
  t.deepEqual(r.body.server, {
    id,
    links: [
      { rel: 'self', href: `${c.cloud.compute!.url}/v2.1/servers/${id}` },
      { rel: 'bookmark', href: `${c.cloud.compute!.url}/servers/${id}` },
    ],
    'OS-DCF:diskConfig': 'AUTO',
    security_groups: [{ name: 'default' }],
    adminPass: 'sekrit',
  });
  t.is(r.headers.get('location'), `${c.cloud.compute!.url}/v2.1/servers/${id}`);
  await eventually(async () => (await show(id)).status === 'ACTIVE');
  const server = await show(id);
  t.like(server, {
    name: 'full',
    metadata: { role: 'web', 'tier:1': 'front end' },
    description: 'the front',
    tags: ['a', 'b'],
    accessIPv4: '192.0.2.10',
    accessIPv6: '2001:db8::10',
    config_drive: 'True',
    'OS-DCF:diskConfig': 'AUTO',
    'OS-EXT-SRV-ATTR:hostname': 'front-1',
    'OS-EXT-SRV-ATTR:user_data': userData,
    'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
    key_name: null,
    trusted_image_certificates: null,
    server_groups: [],
  });
  t.false('security_groups' in server, "booted with networks 'none' it has no port, so no group");
});

test.serial('without adminPass a 12-character one is made; the default group is echoed; hostnames follow the name', async (t) => {
  const r = await boot(c.nova, c.demo, 'Web Server #1');
  t.regex(r.body.server.adminPass, /^[2-9A-HJ-NP-Za-km-z]{12}$/);
  t.deepEqual(r.body.server.security_groups, [{ name: 'default' }]);
  t.is(r.body.server['OS-DCF:diskConfig'], 'MANUAL');
  const server = await show(r.body.server.id, '2.93');
  t.is(server['OS-EXT-SRV-ATTR:hostname'], 'web-server-1');
  t.is(server.description, 'Web Server #1', 'before 2.19 Nova records the name as the description');
  await eventually(async () => (await show(r.body.server.id)).status === 'ACTIVE');
  t.deepEqual((await show(r.body.server.id)).security_groups, [{ name: 'default' }]);
});

test.serial('min_count and max_count boot name-1..n under one reservation; return_reservation_id answers only it', async (t) => {
  const r = await boot(c.nova, c.demo, 'fleet', { min_count: 2, max_count: '3', return_reservation_id: 'False' });
  t.is(r.status, 202);
  t.deepEqual(Object.keys(r.body), ['reservation_id'], "'False' is a non-empty string, so true, as in Nova");
  t.regex(r.body.reservation_id, /^r-[0-9a-f]{8}$/);
  const listed = await c.nova.call(
    'GET',
    `/v2.1/servers/detail?all_tenants=1&reservation_id=${r.body.reservation_id}&sort_key=display_name&sort_dir=asc`,
    { token: c.admin, headers: at('2.3') },
  );
  t.deepEqual(
    listed.body.servers.map((s: any) => [s.name, s['OS-EXT-SRV-ATTR:hostname'], s['OS-EXT-SRV-ATTR:launch_index']]),
    [
      ['fleet-1', 'fleet-1', 0],
      ['fleet-2', 'fleet-2', 1],
      ['fleet-3', 'fleet-3', 2],
    ],
  );
  const two = await boot(c.nova, c.demo, 'pair', { max_count: 2 });
  t.truthy(two.body.server.id, 'without return_reservation_id the first server is answered');
  await refused(t, { min_count: 3, max_count: 2 }, '2.1', 400, 'min_count must be <= max_count');
  await refused(t, { min_count: '0' }, '2.1', 400, 'Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1');
  await refused(t, { max_count: 'x' }, '2.1', 400, "Invalid input for field/attribute max_count. Value: x. 'x' does not match '^[0-9]*$'");
  await refused(t, { max_count: 2, networks: 'none', hostname: 'one' }, '2.90', 400, 'Unable to allocate a single hostname to multiple instances');
});

test.serial('the quota takes as many servers as fit between min and max, or refuses them all', async (t) => {
  const quota = await userWithRole(c, 'squeezed', 'member', 'small');
  const project = (await c.keystone.call('GET', '/v3/projects?name=small', { token: c.admin })).body.projects[0].id;
  await c.cloud.db.models.Quota.bulkCreate([{ project_id: project, resource: 'instances', hard_limit: 2 }]);
  const none = await boot(c.nova, quota, 'q', { min_count: 3 });
  t.is(none.status, 403);
  t.is(message(none), 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances');
  const some = await boot(c.nova, quota, 'q', { min_count: 1, max_count: 5, return_reservation_id: true });
  t.is(some.status, 202);
  const mine = await c.nova.call('GET', '/v2.1/servers', { token: quota });
  t.deepEqual(mine.body.servers.map((s: any) => s.name).sort(), ['q-1', 'q-2']);
  const more = await boot(c.nova, quota, 'q');
  t.is(message(more), 'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances');
});

test.serial('metadata, user_data, description, tags and hostname are checked per microversion in Nova’s words', async (t) => {
  await refused(
    t,
    { metadata: { 'a/b': 'c' } },
    '2.1',
    400,
    "Invalid input for field/attribute metadata. Value: {'a/b': 'c'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'",
  );
  await refused(t, { metadata: { k: 1 } }, '2.1', 400, "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'");
  await refused(
    t,
    { metadata: { k: 'v'.repeat(256) } },
    '2.1',
    400,
    `Invalid input for field/attribute k. Value: ${'v'.repeat(256)}. '${'v'.repeat(256)}' is too long`,
  );
  await refused(
    t,
    { metadata: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v'])) },
    '2.1',
    403,
    'Maximum number of metadata items exceeds 128',
  );
  t.is((await boot(c.nova, c.demo, 'meta-128', { metadata: Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`k${i}`, 'v'])) })).status, 202);
  await refused(t, { user_data: 'abc' }, '2.1', 400, "Invalid input for field/attribute user_data. Value: abc. 'abc' is not a 'base64'");
  await refused(
    t,
    { user_data: 'A'.repeat(65536) },
    '2.1',
    400,
    `Invalid input for field/attribute user_data. Value: ${'A'.repeat(65536)}. '${'A'.repeat(65536)}' is too long`,
  );
  t.is((await boot(c.nova, c.demo, 'ud', { user_data: 'YQ==YQ==' })).status, 202, 'Python reads padding mid-string as the end');
  await refused(
    t,
    { description: 'd' },
    '2.18',
    400,
    `Invalid input for field/attribute server. Value: {'name': 'refused', 'imageRef': '${TINY_IMAGE_ID}', 'flavorRef': '1', 'description': 'd'}. Additional properties are not allowed ('description' was unexpected)`,
  );
  t.is((await boot(c.nova, c.demo, 'described', { description: 'd' }, at('2.19'))).status, 202);
  await refused(
    t,
    { description: 'd'.repeat(256) },
    '2.19',
    400,
    `Invalid input for field/attribute description. Value: ${'d'.repeat(256)}. '${'d'.repeat(256)}' is too long`,
  );
  const tags51 = await boot(c.nova, c.demo, 'refused', { networks: 'none', tags: ['a'] }, at('2.51'));
  t.regex(message(tags51)!, /Additional properties are not allowed \('tags' was unexpected\)$/);
  await refused(
    t,
    { networks: 'none', tags: ['a,b'] },
    '2.52',
    400,
    "Invalid input for field/attribute 0. Value: a,b. 'a,b' does not match '^[^,/]*$'",
  );
  await refused(
    t,
    { networks: 'none', tags: ['t'.repeat(61)] },
    '2.52',
    400,
    `Invalid input for field/attribute 0. Value: ${'t'.repeat(61)}. '${'t'.repeat(61)}' is too long`,
  );
  const many = await boot(c.nova, c.demo, 'refused', { networks: 'none', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, at('2.52'));
  t.regex(message(many)!, /^Invalid input for field\/attribute tags\. .* is too long$/);
  const hostname89 = await boot(c.nova, c.demo, 'refused', { networks: 'none', hostname: 'ab' }, at('2.89'));
  t.regex(message(hostname89)!, /Additional properties are not allowed \('hostname' was unexpected\)$/);
  await refused(t, { networks: 'none', hostname: 'a' }, '2.90', 400, "Invalid input for field/attribute hostname. Value: a. 'a' is too short");
  await refused(
    t,
    { networks: 'none', hostname: 'a_b' },
    '2.90',
    400,
    "Invalid input for field/attribute hostname. Value: a_b. 'a_b' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'",
  );
});

test.serial('names, references, addresses and other fields are refused as Nova’s schema refuses them', async (t) => {
  await refused(t, { name: '' }, '2.1', 400, "Invalid input for field/attribute name. Value: . '' is too short");
  await refused(
    t,
    { name: ' padded' },
    '2.1',
    400,
    "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
  );
  await refused(
    t,
    { imageRef: `http://glance/images/${TINY_IMAGE_ID}` },
    '2.1',
    400,
    `Invalid input for field/attribute imageRef. Value: http://glance/images/${TINY_IMAGE_ID}. 'http://glance/images/${TINY_IMAGE_ID}' is not valid under any of the given schemas`,
  );
  await refused(t, { imageRef: '' }, '2.1', 400, 'Missing imageRef attribute');
  await refused(t, { flavorRef: 'http://nova/flavors/999' }, '2.1', 400, 'Flavor 999 could not be found.');
  t.is((await boot(c.nova, c.demo, 'by-link', { flavorRef: `${c.cloud.compute!.url}/flavors/1` })).status, 202, 'a flavor link is read for its id');
  await refused(t, { accessIPv4: '1.2.3' }, '2.1', 400, "Invalid input for field/attribute accessIPv4. Value: 1.2.3. '1.2.3' is not a 'ipv4'");
  await refused(t, { accessIPv6: 'zz::' }, '2.1', 400, "Invalid input for field/attribute accessIPv6. Value: zz::. 'zz::' is not a 'ipv6'");
  await refused(
    t,
    { 'OS-DCF:diskConfig': 'auto' },
    '2.1',
    400,
    "Invalid input for field/attribute OS-DCF:diskConfig. Value: auto. 'auto' is not one of ['AUTO', 'MANUAL']",
  );
  await refused(
    t,
    { config_drive: 'maybe' },
    '2.1',
    400,
    "Invalid input for field/attribute config_drive. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']",
  );
  await refused(t, { security_groups: [{ name: '' }] }, '2.1', 400, "Invalid input for field/attribute name. Value: . '' is too short");
  await refused(t, { security_groups: [{ name: 'web' }] }, '2.1', 400, "Unable to find security_group with name or id 'web'");
  await refused(t, { key_name: 'mykey' }, '2.1', 400, 'Invalid key_name provided.');
  t.is((await c.nova.call('POST', '/v2.1/os-keypairs', { token: c.demo, body: { keypair: { name: 'mykey' } } })).status, 200);
  const keyed = await boot(c.nova, c.demo, 'keyed', { key_name: 'mykey' });
  t.is(keyed.status, 202);
  t.is((await show(keyed.body.server.id, '2.1', c.demo)).key_name, 'mykey');
  await refused(t, { key_name: 'mykey' }, '2.1', 400, 'Invalid key_name provided.', other);
  await refused(
    t,
    { a: 1, b: 2 },
    '2.1',
    400,
    `Invalid input for field/attribute server. Value: {'name': 'refused', 'imageRef': '${TINY_IMAGE_ID}', 'flavorRef': '1', 'a': 1, 'b': 2}. Additional properties are not allowed ('a', 'b' were unexpected)`,
  );
  const outer = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: { server: { name: 'x', imageRef: TINY_IMAGE_ID, flavorRef: '1' }, x: 1 },
  });
  t.is(message(outer), "Additional properties are not allowed ('x' was unexpected)");
  const hinted = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: { server: { name: 'hinted', imageRef: TINY_IMAGE_ID, flavorRef: '1' }, 'os:scheduler_hints': { anything: 1 } },
  });
  t.is(hinted.status, 202, 'scheduler hints take any key');
  t.is((await boot(c.nova, c.demo, 'pers', { networks: 'none', personality: [{ path: '/etc/motd', contents: 'aGk=' }] }, at('2.56'))).status, 202);
  const files = Array.from({ length: 6 }, (_, i) => ({ path: `/f${i}`, contents: 'aGk=' }));
  await refused(t, { networks: 'none', personality: files }, '2.56', 403, 'Personality file limit exceeded');
  const pers57 = await boot(c.nova, c.demo, 'refused', { networks: 'none', personality: [] }, at('2.57'));
  t.regex(message(pers57)!, /Additional properties are not allowed \('personality' was unexpected\)$/);
});

test.serial('networks: a list before 2.37, auto or none (and required) from it; no network or port exists yet', async (t) => {
  await refused(t, { networks: 'auto' }, '2.36', 400, "Invalid input for field/attribute networks. Value: auto. 'auto' is not of type 'array'");
  const required = await boot(c.nova, c.demo, 'refused', {}, at('2.37'));
  t.regex(message(required)!, /'networks' is a required property$/);
  await refused(
    t,
    { networks: 'some' },
    '2.37',
    400,
    "Invalid input for field/attribute networks. Value: some. 'some' is not valid under any of the given schemas",
  );
  await refused(t, { networks: [{ uuid: 'not-a-uuid' }] }, '2.36', 400, 'Bad networks format: network uuid is not in proper format (not-a-uuid)');
  await refused(t, { networks: [{ fixed_ip: '10.0.0.1' }] }, '2.36', 400, "Bad network format: missing 'uuid'");
  await refused(t, { networks: [{ uuid: NETWORK }] }, '2.37', 400, `Network ${NETWORK} could not be found.`);
  await refused(t, { networks: [{ port: NETWORK }] }, '2.37', 400, `Port id ${NETWORK} could not be found.`);
  await refused(
    t,
    { networks: [{ port: NETWORK, fixed_ip: '10.0.0.1' }] },
    '2.37',
    400,
    `Specified Fixed IP '10.0.0.1' cannot be used with port '${NETWORK}': the two cannot be specified together.`,
  );
  t.is((await boot(c.nova, c.demo, 'empty-list', { networks: [] }, at('2.36'))).status, 202);
});

test.serial('an image’s min_ram and min_disk are checked at boot with Nova’s messages; an image not active is refused', async (t) => {
  const glance = client(c.cloud.images!.url);
  const image = async (props: Record<string, unknown>, data?: Buffer) => {
    const created = (
      await glance.call('POST', '/v2/images', {
        token: c.admin,
        body: { name: 'sized', disk_format: 'raw', container_format: 'bare', visibility: 'public', ...props },
      })
    ).body;
    if (data)
      await fetch(`${c.cloud.images!.url}/v2/images/${created.id}/file`, {
        method: 'PUT',
        headers: { 'x-auth-token': c.admin, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(data),
      });
    return created.id as string;
  };
  const queued = await image({});
  await refused(t, { imageRef: queued }, '2.1', 400, `Image ${queued} is not active.`);
  const hungry = await image({ min_ram: 1024 }, Buffer.alloc(16));
  await refused(t, { imageRef: hungry }, '2.1', 400, "Flavor's memory is too small for requested image.");
  const big = await image({ min_disk: 2 }, Buffer.alloc(16));
  await refused(
    t,
    { imageRef: big },
    '2.1',
    400,
    "Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is 1073741824 bytes, minimum size is 2147483648 bytes.",
  );
  t.is((await boot(c.nova, c.demo, 'roomy', { imageRef: big, flavorRef: '2' })).status, 202, 'm1.small has 20 GB');
  await refused(t, { imageRef: '00000000-0000-4000-8000-000000000000' }, '2.1', 400, 'Can not find requested image');
});

test.serial('zone:host forces a host for admins only; 2.74 host and hypervisor_hostname are admin-only and checked', async (t) => {
  await refused(
    t,
    { availability_zone: 'nova:compute-2' },
    '2.1',
    403,
    "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.",
    c.demo,
  );
  await refused(t, { availability_zone: 'a:b:c:d' }, '2.1', 400, 'Invalid input received: Unable to parse availability_zone');
  await refused(t, { availability_zone: 'elsewhere' }, '2.1', 400, 'The requested availability zone is not available');
  const forced = await bootActive(c, c.admin, 'forced', { availability_zone: 'nova:compute-2' });
  t.like(await show(forced), { 'OS-EXT-SRV-ATTR:host': 'compute-2', 'OS-EXT-AZ:availability_zone': 'nova' });
  const forcedAgain = await bootActive(c, c.admin, 'forced-node', { availability_zone: 'nova::compute-1' });
  t.is((await show(forcedAgain))['OS-EXT-SRV-ATTR:host'], 'compute-1');
  await refused(
    t,
    { networks: 'none', host: 'compute-1' },
    '2.74',
    403,
    "Policy doesn't allow compute:servers:create:requested_destination to be performed.",
    c.demo,
  );
  await refused(t, { networks: 'none', host: 'nowhere' }, '2.74', 400, 'Compute host nowhere could not be found.');
  await refused(t, { networks: 'none', hypervisor_hostname: 'nowhere' }, '2.74', 400, 'Compute host nowhere could not be found.');
  await refused(
    t,
    { networks: 'none', host: 'compute-1', availability_zone: 'nova:compute-1' },
    '2.74',
    400,
    'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
  );
  const asked = await bootActive(c, c.admin, 'asked', { networks: 'none', host: 'compute-1' }, at('2.74'));
  t.is((await show(asked))['OS-EXT-SRV-ATTR:host'], 'compute-1');
  const host73 = await boot(c.nova, c.admin, 'refused', { networks: 'none', host: 'compute-1' }, at('2.73'));
  t.regex(message(host73)!, /Additional properties are not allowed \('host' was unexpected\)$/);
});

test.serial('a reader reads servers, metadata and tags but every write is refused by policy', async (t) => {
  const id = await bootActive(c, c.demo, 'watched', { metadata: { a: '1' } });
  const v = at('2.93');
  const reads: Array<[string, string]> = [
    ['GET', '/v2.1/servers'],
    ['GET', '/v2.1/servers/detail'],
    ['GET', `/v2.1/servers/${id}`],
    ['GET', `/v2.1/servers/${id}/metadata`],
    ['GET', `/v2.1/servers/${id}/metadata/a`],
    ['GET', `/v2.1/servers/${id}/tags`],
  ];
  for (const [method, path] of reads) t.is((await c.nova.call(method, path, { token: reader, headers: v })).status, 200, path);
  const writes: Array<[string, string, unknown, string]> = [
    ['POST', '/v2.1/servers', { server: { name: 'x', imageRef: TINY_IMAGE_ID, flavorRef: '1', networks: 'none' } }, 'os_compute_api:servers:create'],
    ['PUT', `/v2.1/servers/${id}`, { server: { name: 'y' } }, 'os_compute_api:servers:update'],
    ['DELETE', `/v2.1/servers/${id}`, undefined, 'os_compute_api:servers:delete'],
    ['POST', `/v2.1/servers/${id}/metadata`, { metadata: { b: '2' } }, 'os_compute_api:server-metadata:create'],
    ['PUT', `/v2.1/servers/${id}/metadata`, { metadata: { b: '2' } }, 'os_compute_api:server-metadata:update_all'],
    ['PUT', `/v2.1/servers/${id}/metadata/b`, { meta: { b: '2' } }, 'os_compute_api:server-metadata:update'],
    ['DELETE', `/v2.1/servers/${id}/metadata/a`, undefined, 'os_compute_api:server-metadata:delete'],
    ['PUT', `/v2.1/servers/${id}/tags`, { tags: ['x'] }, 'os_compute_api:os-server-tags:update_all'],
    ['PUT', `/v2.1/servers/${id}/tags/x`, undefined, 'os_compute_api:os-server-tags:update'],
    ['DELETE', `/v2.1/servers/${id}/tags`, undefined, 'os_compute_api:os-server-tags:delete_all'],
    ['DELETE', `/v2.1/servers/${id}/tags/x`, undefined, 'os_compute_api:os-server-tags:delete'],
  ];
  for (const [method, path, body, rule] of writes) {
    const r = await c.nova.call(method, path, { token: reader, body, headers: v });
    t.deepEqual(r.body, { forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } }, `${method} ${path}`);
  }
  t.like(await show(id), { name: 'watched', metadata: { a: '1' }, status: 'ACTIVE' });
});

test.serial('another project’s server is not found, except by the tags API, which answers 403 as Nova’s does', async (t) => {
  const id = await bootActive(c, c.demo, 'private');
  const v = at('2.93');
  const hidden: Array<[string, string, unknown]> = [
    ['GET', `/v2.1/servers/${id}`, undefined],
    ['PUT', `/v2.1/servers/${id}`, { server: { name: 'mine' } }],
    ['DELETE', `/v2.1/servers/${id}`, undefined],
    ['GET', `/v2.1/servers/${id}/metadata`, undefined],
    ['POST', `/v2.1/servers/${id}/metadata`, { metadata: { a: 'b' } }],
    ['GET', `/v2.1/servers/${id}/metadata/a`, undefined],
    ['DELETE', `/v2.1/servers/${id}/metadata/a`, undefined],
  ];
  for (const [method, path, body] of hidden) {
    const r = await c.nova.call(method, path, { token: other, body, headers: v });
    t.deepEqual(r.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } }, `${method} ${path}`);
  }
  const tags = await c.nova.call('GET', `/v2.1/servers/${id}/tags`, { token: other, headers: v });
  t.deepEqual(tags.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-server-tags:index to be performed." } });
  const never = '00000000-0000-4000-8000-00000000abcd';
  t.deepEqual((await c.nova.call('GET', `/v2.1/servers/${never}/tags`, { token: other, headers: v })).body, {
    itemNotFound: { code: 404, message: `Instance ${never} has no mapping to a cell.` },
  });
  t.deepEqual((await c.nova.call('GET', '/v2.1/servers', { token: other })).body.servers, []);
  t.is((await show(id, '2.93', c.demo)).name, 'private');
});
