import test from 'ava';
import { at, bootActive, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// PUT /servers/{id}, the metadata sub-resource and the tags sub-resource (2.26), each change
// made by the server's instance actor.
let c: ComputeCloud;
// The host's guests ignore shutdown requests and a stop waits long for them: a stopped server keeps its task.
test.before(async () => {
  c = await startComputeCloud('compute-server-updates', {
    libvirt: { simulatedHosts: 1 },
    faults: { ignoreShutdownHosts: ['compute-1'] },
    timeouts: { cleanShutdownMs: 600_000 },
  });
});
test.after.always(async () => {
  await c?.stop();
});

const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;
const call = (method: string, path: string, body?: unknown, version = '2.93', token = c.demo) =>
  c.nova.call(method, `/v2.1/servers/${path}`, { token, body, headers: at(version) });

const deleted = async (id: string) => {
  await call('DELETE', id);
  await eventually(async () => (await call('GET', id)).status === 404);
};

test('PUT /servers/{id} changes the name, description, hostname, access addresses and disk config', async (t) => {
  const id = await bootActive(c, c.demo, 'before', { networks: 'none' }, at('2.93'));
  const r = await call('PUT', id, {
    server: {
      name: 'after',
      description: 'changed',
      hostname: 'renamed-host',
      accessIPv4: '192.0.2.7',
      accessIPv6: '::1',
      'OS-DCF:diskConfig': 'AUTO',
    },
  });
  t.is(r.status, 200);
  t.like(r.body.server, {
    id,
    name: 'after',
    description: 'changed',
    'OS-EXT-SRV-ATTR:hostname': 'renamed-host',
    accessIPv4: '192.0.2.7',
    accessIPv6: '::1',
    'OS-DCF:diskConfig': 'AUTO',
    status: 'ACTIVE',
  });
  const shown = (await call('GET', id)).body.server;
  t.like(shown, { name: 'after', description: 'changed', 'OS-EXT-SRV-ATTR:hostname': 'renamed-host', accessIPv4: '192.0.2.7' });
  const renamed = (await call('PUT', id, { server: { name: 'again' } })).body.server;
  t.is(renamed['OS-EXT-SRV-ATTR:hostname'], 'renamed-host', 'a new name keeps the hostname');
  t.is((await call('PUT', id, { server: { description: null } })).body.server.description, null, 'a null description clears it');
  const untouched = await call('PUT', id, { server: {} });
  t.is(untouched.status, 200);
  t.deepEqual(untouched.body.server, (await call('GET', id)).body.server, 'from 2.75 the update answers the show body');
  t.is(untouched.body.server.name, 'again');
});

test('the update response is the older, shorter body before 2.75 and the show body from it', async (t) => {
  const id = await bootActive(c, c.demo, 'shape', {});
  const old = (await call('PUT', id, { server: { name: 'shape-1' } }, '2.1')).body.server;
  t.like(old, { name: 'shape-1', status: 'ACTIVE', metadata: {} });
  // The demo project's server has its port on `private`, shown in the older body too.
  t.is(old.addresses.private?.[0]?.version, 4);
  for (const key of [
    'OS-EXT-STS:vm_state',
    'OS-EXT-AZ:availability_zone',
    'key_name',
    'config_drive',
    'OS-SRV-USG:launched_at',
    'security_groups',
    'os-extended-volumes:volumes_attached',
    'locked',
    'description',
    'tags',
  ])
    t.false(key in old, key);
  const v274 = (await call('PUT', id, { server: { name: 'shape-2' } }, '2.74')).body.server;
  t.like(v274, { locked: false, locked_reason: null, tags: [], server_groups: [], trusted_image_certificates: null });
  t.false('OS-EXT-STS:vm_state' in v274);
  const v275 = (await call('PUT', id, { server: { name: 'shape-3' } }, '2.75')).body.server;
  t.like(v275, { 'OS-EXT-STS:vm_state': 'active', 'OS-EXT-AZ:availability_zone': 'nova', key_name: null, config_drive: '', server_groups: [] });
  const admin = (await call('PUT', id, { server: { name: 'shape-4' } }, '2.75', c.admin)).body.server;
  t.like(admin, { host_status: 'UP', 'OS-EXT-SRV-ATTR:host': 'compute-1' });
  const adminOld = (await call('PUT', id, { server: { name: 'shape-5' } }, '2.74', c.admin)).body.server;
  t.false('host_status' in adminOld || 'OS-EXT-SRV-ATTR:host' in adminOld);
});

test('PUT /servers/{id} is refused per version in Nova’s words, and for a deleted server', async (t) => {
  const id = await bootActive(c, c.demo, 'strict', {});
  t.is(
    message(await call('PUT', id, { server: { description: 'x' } }, '2.18')),
    "Invalid input for field/attribute server. Value: {'description': 'x'}. Additional properties are not allowed ('description' was unexpected)",
  );
  t.regex(message(await call('PUT', id, { server: { hostname: 'ab' } }, '2.89'))!, /\('hostname' was unexpected\)$/);
  t.is(
    message(await call('PUT', id, { server: { hostname: '-ab' } }, '2.90')),
    "Invalid input for field/attribute hostname. Value: -ab. '-ab' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'",
  );
  t.is(message(await call('PUT', id, { server: { name: '' } })), "Invalid input for field/attribute name. Value: . '' is too short");
  t.is(
    message(await call('PUT', id, { server: { accessIPv4: 'nope' } })),
    "Invalid input for field/attribute accessIPv4. Value: nope. 'nope' is not a 'ipv4'",
  );
  t.is(message(await call('PUT', id, { name: 'x' })), "'server' is a required property");
  t.is(message(await c.nova.call('PUT', `/v2.1/servers/${id}`, { token: c.demo, body: 'x' })), "'x' is not of type 'object'");
  await deleted(id);
  const gone = await call('PUT', id, { server: { name: 'late' } });
  t.deepEqual(gone.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
});

test('metadata: list, merge, replace, one item, and Nova’s refusals', async (t) => {
  const id = await bootActive(c, c.demo, 'meta', { metadata: { a: '1' } });
  t.deepEqual((await call(`GET`, `${id}/metadata`)).body, { metadata: { a: '1' } });
  const merged = await call('POST', `${id}/metadata`, { metadata: { b: '2', a: 'one' } });
  t.is(merged.status, 200);
  t.deepEqual(merged.body, { metadata: { a: 'one', b: '2' } });
  t.deepEqual((await call('PUT', `${id}/metadata`, { metadata: { c: '3' } })).body, { metadata: { c: '3' } });
  t.deepEqual((await call('PUT', `${id}/metadata/d`, { meta: { d: '4' } })).body, { meta: { d: '4' } });
  t.deepEqual((await call('GET', `${id}/metadata/d`)).body, { meta: { d: '4' } });
  t.deepEqual((await call('GET', id)).body.server.metadata, { c: '3', d: '4' });
  t.is((await call('DELETE', `${id}/metadata/c`)).status, 204);
  t.deepEqual((await call('GET', `${id}/metadata`)).body, { metadata: { d: '4' } });
  t.deepEqual((await call('GET', `${id}/metadata/c`)).body, { itemNotFound: { code: 404, message: 'Metadata item was not found' } });
  t.deepEqual((await call('DELETE', `${id}/metadata/c`)).body, { itemNotFound: { code: 404, message: 'Metadata item was not found' } });
  t.deepEqual((await call('PUT', `${id}/metadata/e`, { meta: { f: '5' } })).body, {
    badRequest: { code: 400, message: 'Request body and URI mismatch' },
  });
  t.is(
    message(await call('PUT', `${id}/metadata/e`, { meta: { e: '5', f: '6' } })),
    "Invalid input for field/attribute meta. Value: {'e': '5', 'f': '6'}. {'e': '5', 'f': '6'} has too many properties",
  );
  t.is(
    message(await call('PUT', `${id}/metadata/e`, { meta: {} })),
    'Invalid input for field/attribute meta. Value: {}. {} does not have enough properties',
  );
  t.is(
    message(await call('POST', `${id}/metadata`, { metadata: { a: null } })),
    "Invalid input for field/attribute a. Value: None. None is not of type 'string'",
  );
  t.is(message(await call('POST', `${id}/metadata`, {})), "'metadata' is a required property");
  const full = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`k${i}`, 'v']));
  t.is((await call('PUT', `${id}/metadata`, { metadata: full })).status, 200, '128 items fit');
  t.deepEqual((await call('POST', `${id}/metadata`, { metadata: { one: 'more' } })).body, {
    forbidden: { code: 403, message: 'Maximum number of metadata items exceeds 128' },
  });
  t.is((await call('PUT', `${id}/metadata/k0`, { meta: { k0: 'changed' } })).status, 200, 'changing an item adds none');
  t.is(Object.keys((await call('GET', `${id}/metadata`)).body.metadata).length, 128);
});

test('metadata changes wait for a settled server: Nova’s 409 for a state it refuses', async (t) => {
  const id = await bootActive(c, c.demo, 'busy', {});
  t.is((await call('POST', `${id}/action`, { 'os-stop': null })).status, 202);
  await eventually(async () => (await call('GET', id)).body.server['OS-EXT-STS:task_state'] === 'powering-off');
  t.deepEqual((await call('POST', `${id}/metadata`, { metadata: { a: 'b' } })).body, {
    conflictingRequest: { code: 409, message: `Cannot 'update metadata' instance ${id} while it is in task_state powering-off` },
  });
  // No host can hold this flavor's disk: the boot ends in ERROR, as Nova's NoValidHost does.
  const flavor = await c.nova.call('POST', '/v2.1/flavors', {
    token: c.admin,
    body: { flavor: { name: 'too-big', ram: 64, vcpus: 1, disk: 1_000_000 } },
  });
  t.is(flavor.status, 200, JSON.stringify(flavor.body));
  const failed = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: { server: { name: 'failed', imageRef: TINY_IMAGE_ID, flavorRef: flavor.body.flavor.id } },
  });
  t.is(failed.status, 202, JSON.stringify(failed.body));
  const broken = failed.body.server.id;
  await eventually(async () => (await call('GET', broken)).body.server.status === 'ERROR');
  t.is(
    message(await call('PUT', `${broken}/metadata`, { metadata: {} })),
    `Cannot 'update metadata' instance ${broken} while it is in vm_state error`,
  );
  t.is(message(await call('PUT', `${broken}/tags/x`)), `Cannot 'update tag' instance ${broken} while it is in vm_state error`);
  t.is(message(await call('PUT', `${broken}/tags`, { tags: [] })), `Cannot 'update tags' instance ${broken} while it is in vm_state error`);
  t.deepEqual((await call('GET', `${broken}/metadata`)).body, { metadata: {} }, 'reads still answer');
});

test('tags from 2.26: set all, add one (201, then 204), check, delete one and all, and the 50-tag limit', async (t) => {
  const id = await bootActive(c, c.demo, 'tagged', {});
  t.deepEqual((await call('GET', `${id}/tags`, undefined, '2.25')).body, {
    itemNotFound: { code: 404, message: 'The resource could not be found.' },
  });
  t.deepEqual((await call('GET', `${id}/tags`)).body, { tags: [] });
  t.deepEqual((await call('PUT', `${id}/tags`, { tags: ['b', 'a', 'b'] })).body, { tags: ['a', 'b'] });
  const added = await call('PUT', `${id}/tags/c`);
  t.is(added.status, 201);
  t.is(added.headers.get('location'), `${c.cloud.compute!.url}/v2.1/servers/${id}/tags/c`);
  t.is((await call('PUT', `${id}/tags/c`)).status, 204, 'a tag already there is no change');
  t.is((await call('GET', `${id}/tags/c`)).status, 204);
  t.deepEqual((await call('GET', `${id}/tags/zz`)).body, { itemNotFound: { code: 404, message: `Server ${id} has no tag 'zz'` } });
  t.deepEqual((await call('GET', id)).body.server.tags, ['a', 'b', 'c']);
  t.false('tags' in (await call('GET', id, undefined, '2.25')).body.server);
  t.is((await call('DELETE', `${id}/tags/c`)).status, 204);
  t.deepEqual((await call('DELETE', `${id}/tags/c`)).body, { itemNotFound: { code: 404, message: `Instance ${id} has no tag 'c'` } });
  t.is(
    message(await call('PUT', `${id}/tags/a%2Cb`)),
    "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: 'a,b' does not match '^[^,/]*$'",
  );
  t.is(
    message(await call('PUT', `${id}/tags/${'t'.repeat(61)}`)),
    `Tag '${'t'.repeat(61)}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: '${'t'.repeat(61)}' is too long`,
  );
  t.is(message(await call('PUT', `${id}/tags/x`, {})), "{} is not of type 'null'");
  t.is(message(await call('PUT', `${id}/tags`, { tags: 'a' })), "Invalid input for field/attribute tags. Value: a. 'a' is not of type 'array'");
  t.is(
    message(await call('PUT', `${id}/tags`, { tags: ['a/b'] })),
    "Invalid input for field/attribute 0. Value: a/b. 'a/b' does not match '^[^,/]*$'",
  );
  const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
  t.is((await call('PUT', `${id}/tags`, { tags: fifty })).status, 200);
  t.deepEqual((await call('PUT', `${id}/tags/one-more`)).body, {
    badRequest: { code: 400, message: 'The number of tags exceeded the per-server limit 50' },
  });
  t.regex(message(await call('PUT', `${id}/tags`, { tags: [...fifty, 'x'] }))!, /is too long$/);
  t.is((await call('DELETE', `${id}/tags`)).status, 204);
  t.deepEqual((await call('GET', `${id}/tags`)).body, { tags: [] });
  await deleted(id);
  t.deepEqual(
    (await call('GET', `${id}/tags`)).body,
    { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } },
    'a deleted server keeps its mapping, so it is found and then missing',
  );
});
