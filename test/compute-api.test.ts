import test from 'ava';
import { randomUUID } from 'node:crypto';
import { SimulatedClock } from '../runtime/clock.js';
import { ref } from '../runtime/ref.js';
import { registration } from '../bin/hypervisors.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { boot, domainsOf, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { keystoneRefused, novaRefused } from './helpers/refusals.js';

// The Compute API's boot path in one process on real simulated hypervisors; the clock is
// simulated so token expiry can be reached without waiting.
const clock = new SimulatedClock(Date.UTC(2026, 10, 25, 12));
let c: ComputeCloud;

test.before(async () => {
  c = await startComputeCloud('compute-api', { libvirt: { simulatedHosts: 2 } }, clock);
});
test.after.always(async () => {
  await c?.stop();
});

const fault = (r: { body: any }, name: string, code: number) => ({ [name]: { code, message: r.body?.[name]?.message } });

test.serial('version documents are open and advertise 2.1 to 2.93 beside the legacy v2.0', async (t) => {
  const root = await c.nova.call('GET', '/');
  t.is(root.status, 200);
  const byId = new Map(root.body.versions.map((v: { id: string }) => [v.id, v]));
  t.like(byId.get('v2.1'), { id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1' });
  t.like(byId.get('v2.0'), { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '' });
  const v21 = await c.nova.call('GET', '/v2.1/');
  t.is(v21.body.version.id, 'v2.1');
  t.truthy(v21.headers.get('x-compute-request-id'));
});

test.serial('microversions are negotiated and echoed; out of range is 406, malformed 400', async (t) => {
  const at = (version: string) => c.nova.call('GET', '/v2.1/flavors', { token: c.admin, headers: { 'OpenStack-API-Version': `compute ${version}` } });
  const ok = await at('2.37');
  t.is(ok.status, 200);
  t.is(ok.headers.get('openstack-api-version'), 'compute 2.37');
  t.is(ok.headers.get('x-openstack-nova-api-version'), '2.37');
  t.regex(ok.headers.get('vary') ?? '', /OpenStack-API-Version/);
  t.is((await at('latest')).headers.get('openstack-api-version'), 'compute 2.93');
  const none = await c.nova.call('GET', '/v2.1/flavors', { token: c.admin });
  t.is(none.headers.get('openstack-api-version'), 'compute 2.1');
  const high = await at('2.94');
  t.is(high.status, 406);
  t.deepEqual(high.body, fault(high, 'computeFault', 406));
  novaRefused(t, await at('two'), 400, 'API Version String two is of invalid format. Must be of format MajorNum.MinorNum.');
  const legacy = await c.nova.call('GET', '/v2.1/flavors', { token: c.admin, headers: { 'X-OpenStack-Nova-API-Version': '2.10' } });
  t.is(legacy.headers.get('x-openstack-nova-api-version'), '2.10');
});

test.serial('flavors: the defaults are seeded; list, detail and show; unknown is 404', async (t) => {
  const list = await c.nova.call('GET', '/v2.1/flavors', { token: c.demo });
  t.deepEqual(
    list.body.flavors.map((f: any) => f.name),
    ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge'],
  );
  const detail = await c.nova.call('GET', '/v2.1/flavors/detail?minRam=4096', { token: c.demo });
  t.deepEqual(
    detail.body.flavors.map((f: any) => f.id),
    ['3', '4', '5'],
  );
  const tiny = await c.nova.call('GET', '/v2.1/flavors/1', { token: c.demo });
  t.like(tiny.body.flavor, { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, swap: '', 'os-flavor-access:is_public': true });
  const missing = await c.nova.call('GET', '/v2.1/flavors/nope', { token: c.demo });
  t.is(missing.status, 404);
  t.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Flavor nope could not be found.' } });
});

test.serial('a boot answers 202 with the row already readable, then goes ACTIVE on a host', async (t) => {
  const r = await boot(c.nova, c.admin, 'web-1');
  t.is(r.status, 202);
  const id = r.body.server.id;
  t.regex(r.body.server.adminPass, /^\w{8,}$/);
  t.regex(r.headers.get('location') ?? '', new RegExp(`/v2.1/servers/${id}$`));
  const first = await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin });
  t.is(first.status, 200);
  t.true(['BUILD', 'ACTIVE'].includes(first.body.server.status));
  let server: any;
  await eventually(async () => {
    server = (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server;
    return server.status !== 'BUILD';
  });
  t.like(server, {
    status: 'ACTIVE',
    name: 'web-1',
    'OS-EXT-STS:vm_state': 'active',
    'OS-EXT-STS:power_state': 1,
    'OS-EXT-STS:task_state': null,
    'OS-EXT-AZ:availability_zone': 'nova',
    image: { id: TINY_IMAGE_ID },
    flavor: { id: '1' },
  });
  t.true(['compute-1', 'compute-2'].includes(server['OS-EXT-SRV-ATTR:host']));
  const domains = await domainsOf(c.cloud.hosts.map((h) => h.uri));
  t.is(domains.get(id)?.powerState, 1);
});

test.serial('bad boots are refused with Nova faults and leave nothing behind', async (t) => {
  const before = (await c.nova.call('GET', '/v2.1/servers', { token: c.admin })).body.servers.length;
  const flavor = await boot(c.nova, c.admin, 'x', { flavorRef: '999' });
  t.deepEqual(flavor.body, { badRequest: { code: 400, message: 'Flavor 999 could not be found.' } });
  const image = await boot(c.nova, c.admin, 'x', { imageRef: '00000000-0000-4000-8000-000000000000' });
  t.deepEqual(image.body, { badRequest: { code: 400, message: 'Can not find requested image' } });
  const noName = await c.nova.call('POST', '/v2.1/servers', { token: c.admin, body: { server: { imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
  t.is(noName.status, 400);
  t.regex(noName.body.badRequest.message, /'name' is a required property/);
  const extra = await boot(c.nova, c.admin, 'x', { surprise: 1 });
  t.regex(extra.body.badRequest.message, /Additional properties are not allowed \('surprise' was unexpected\)/);
  const junk = await c.nova.call('POST', '/v2.1/servers', { token: c.admin, body: 'not a server' });
  novaRefused(t, junk, 400, "'not a server' is not of type 'object'");
  const zone = await boot(c.nova, c.admin, 'x', { availability_zone: 'elsewhere' });
  t.deepEqual(zone.body, { badRequest: { code: 400, message: 'The requested availability zone is not available' } });
  t.is((await c.nova.call('GET', '/v2.1/servers', { token: c.admin })).body.servers.length, before);
});

test.serial('names and metadata values are counted in code points, as Nova counts them', async (t) => {
  // 255 emoji are 510 UTF-16 units but 255 characters to Python: Nova takes them where it takes any character.
  const longest = '😀'.repeat(255);
  const r = await boot(c.nova, c.admin, 'emoji', { metadata: { note: longest } });
  t.is(r.status, 202, JSON.stringify(r.body));
  const id = r.body.server.id;
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server.status !== 'BUILD');
  const server = (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server;
  t.deepEqual(server.metadata, { note: longest });
  const item = await c.nova.call('PUT', `/v2.1/servers/${id}/metadata/other`, { token: c.admin, body: { meta: { other: longest } } });
  t.is(item.status, 200, JSON.stringify(item.body));
  t.deepEqual(item.body, { meta: { other: longest } });

  // A server name's characters come from the Basic Multilingual Plane only (Nova builds its printable class over
  // U+0000–U+FFFE): 255 emoji are refused for what they are, one more for the length, checked first.
  novaRefused(t, await boot(c.nova, c.admin, longest), 400, /^An invalid 'name' value was provided/);
  novaRefused(t, await boot(c.nova, c.admin, `${longest}😀`), 400, /is too long/);
  const bmp = 'é'.repeat(255);
  const named = await boot(c.nova, c.admin, bmp);
  t.is(named.status, 202, JSON.stringify(named.body));
  t.is((await c.nova.call('GET', `/v2.1/servers/${named.body.server.id}`, { token: c.admin })).body.server.name, bmp);
  novaRefused(t, await boot(c.nova, c.admin, `${bmp}é`), 400, /is too long/);
  novaRefused(t, await boot(c.nova, c.admin, 'meta', { metadata: { note: `${longest}😀` } }), 400, /is too long/);
  const tooLong = await c.nova.call('PUT', `/v2.1/servers/${id}/metadata/other`, { token: c.admin, body: { meta: { other: `${longest}😀` } } });
  novaRefused(t, tooLong, 400, /is too long/);
  for (const server of [id, named.body.server.id]) t.is((await c.nova.call('DELETE', `/v2.1/servers/${server}`, { token: c.admin })).status, 204);
});

test.serial('networks auto and none are taken from 2.37, where networks becomes required', async (t) => {
  const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });
  t.is((await boot(c.nova, c.admin, 'n-auto', { networks: 'auto' }, v('2.37'))).status, 202);
  t.is((await boot(c.nova, c.admin, 'n-none', { networks: 'none' }, v('2.93'))).status, 202);
  const missing = await boot(c.nova, c.admin, 'n-missing', {}, v('2.37'));
  t.is(missing.status, 400);
  t.regex(missing.body.badRequest.message, /'networks' is a required property/);
  novaRefused(
    t,
    await boot(c.nova, c.admin, 'n-old', { networks: 'auto' }, v('2.36')),
    400,
    "Invalid input for field/attribute networks. Value: auto. 'auto' is not of type 'array'",
  );
  t.is((await boot(c.nova, c.admin, 'n-old')).status, 202);
});

test.serial('a project sees only its servers: another project reading or deleting one gets 404', async (t) => {
  const mine = (await boot(c.nova, c.demo, 'demo-1')).body.server.id;
  const admins = (await boot(c.nova, c.admin, 'admin-only')).body.server.id;
  const list = await c.nova.call('GET', '/v2.1/servers/detail', { token: c.demo });
  t.deepEqual(
    list.body.servers.map((s: any) => s.id),
    [mine],
  );
  t.false('OS-EXT-SRV-ATTR:host' in list.body.servers[0]);
  const show = await c.nova.call('GET', `/v2.1/servers/${admins}`, { token: c.demo });
  t.deepEqual(show.body, { itemNotFound: { code: 404, message: `Instance ${admins} could not be found.` } });
  novaRefused(t, await c.nova.call('DELETE', `/v2.1/servers/${admins}`, { token: c.demo }), 404, `Instance ${admins} could not be found.`);
  t.is((await c.nova.call('GET', `/v2.1/servers/${admins}`, { token: c.admin })).status, 200);
  const all = await c.nova.call('GET', '/v2.1/servers?all_tenants=1', { token: c.admin });
  t.true(all.body.servers.some((s: any) => s.id === mine));
  // all_tenants is an admin's filter: anyone else asking for it is refused, as Nova's get_all_tenants policy does.
  const everyone = await c.nova.call('GET', '/v2.1/servers?all_tenants=1', { token: c.demo });
  t.deepEqual(everyone.body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed." },
  });
});

test.serial('delete frees the host and the domain; the server then reads 404 but lists under changes-since', async (t) => {
  const id = (await boot(c.nova, c.admin, 'doomed')).body.server.id;
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server.status === 'ACTIVE');
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin })).status, 204);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).status === 404);
  const domains = await domainsOf(c.cloud.hosts.map((h) => h.uri));
  t.false(domains.has(id));
  const since = await c.nova.call('GET', `/v2.1/servers/detail?changes-since=${new Date(clock.now() - 60_000).toISOString()}`, { token: c.admin });
  t.like(
    since.body.servers.find((s: any) => s.id === id),
    { status: 'DELETED' },
  );
  novaRefused(t, await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin }), 404, `Instance ${id} could not be found.`);
});

test.serial('list views read the columns each microversion shows', async (t) => {
  const at = async (version: string, token = c.admin) => {
    const { servers } = (await c.nova.call('GET', '/v2.1/servers/detail', { token, headers: { 'OpenStack-API-Version': `compute ${version}` } }))
      .body;
    return servers.find((s: any) => s.name === 'web-1') ?? servers[0];
  };
  const old = await at('2.1');
  t.like(old, { flavor: { id: '1' } });
  t.false('locked' in old || 'description' in old || 'tags' in old);
  t.truthy(old['OS-EXT-SRV-ATTR:host']);
  const latest = await at('2.93');
  // Booted at 2.1, where Nova records the name as the description.
  t.like(latest, {
    locked: false,
    locked_reason: null,
    description: 'web-1',
    tags: [],
    flavor: { original_name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0 },
  });
  t.is(typeof latest['OS-EXT-SRV-ATTR:hostname'], 'string');
  t.is(latest['OS-EXT-SRV-ATTR:reservation_id'].slice(0, 2), 'r-');
  const member = await at('2.93', c.demo);
  t.is(typeof member['OS-EXT-SRV-ATTR:hostname'], 'string', 'from 2.90 the hostname is for everyone');
  t.false('OS-EXT-SRV-ATTR:host' in member);
});

test.serial('hypervisors and services are admin-only and named as Nova names them', async (t) => {
  novaRefused(
    t,
    await c.nova.call('GET', '/v2.1/os-hypervisors', { token: c.demo }),
    403,
    "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.",
  );
  const list = await c.nova.call('GET', '/v2.1/os-hypervisors/detail', { token: c.admin });
  t.deepEqual(
    list.body.hypervisors.map((h: any) => [h.hypervisor_hostname, h.state, h.status]),
    [
      ['compute-1', 'up', 'enabled'],
      ['compute-2', 'up', 'enabled'],
    ],
  );
  t.true(list.body.hypervisors.every((h: any) => Number.isInteger(h.id) && h.vcpus === 16));
  const used = list.body.hypervisors.reduce((n: number, h: any) => n + h.running_vms, 0);
  const active = (await c.nova.call('GET', '/v2.1/servers/detail?all_tenants=1', { token: c.admin })).body.servers.filter(
    (s: any) => s['OS-EXT-SRV-ATTR:host'],
  );
  t.is(used, active.length);
  const services = await c.nova.call('GET', '/v2.1/os-services', { token: c.admin });
  t.deepEqual(services.body.services.map((s: any) => `${s.binary}@${s.host}:${s.zone}:${s.state}`).sort(), [
    'nova-compute@compute-1:nova:up',
    'nova-compute@compute-2:nova:up',
    'nova-conductor@node-1:internal:up',
    'nova-scheduler@node-1:internal:up',
  ]);
  const computes = await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.admin });
  t.is(computes.body.services.length, 2);
  const uuids = await c.nova.call('GET', '/v2.1/os-hypervisors', { token: c.admin, headers: { 'OpenStack-API-Version': 'compute 2.53' } });
  t.regex(uuids.body.hypervisors[0].id, /^[0-9a-f-]{36}$/);
});

test.serial('limits show a project’s own quota rows, Nova’s defaults where it has none, and admin unlimited', async (t) => {
  // The helper set demo's instances, cores and RAM to unlimited, as an operator would.
  const own = await c.nova.call('GET', '/v2.1/limits', { token: c.demo });
  t.like(own.body.limits.absolute, { maxTotalInstances: -1, maxTotalCores: -1, maxTotalRAMSize: -1, maxServerMeta: 128, totalInstancesUsed: 1 });
  const admin = await c.nova.call('GET', '/v2.1/limits', { token: c.admin });
  t.like(admin.body.limits.absolute, { maxTotalInstances: -1, maxTotalCores: -1, maxTotalRAMSize: -1 });
  const other = await c.nova.call('GET', '/v2.1/limits?tenant_id=0123456789abcdef0123456789abcdef', { token: c.admin });
  t.like(other.body.limits.absolute, { maxTotalInstances: 10, maxTotalCores: 20, maxTotalRAMSize: 51200, totalInstancesUsed: 0 });
  const newer = await c.nova.call('GET', '/v2.1/limits', { token: c.demo, headers: { 'OpenStack-API-Version': 'compute 2.57' } });
  t.false('maxPersonality' in newer.body.limits.absolute);
  t.false('maxSecurityGroups' in newer.body.limits.absolute);
});

test.serial('a re-registering host adopts its domains, reports unknown ones and records missing ones as NOSTATE', async (t) => {
  const id = (await boot(c.nova, c.admin, 'reconciled')).body.server.id;
  let server: any;
  await eventually(async () => (server = (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server).status === 'ACTIVE');
  const plan = c.cloud.hosts.find((h) => h.name === server['OS-EXT-SRV-ATTR:host'])!;
  const hypervisor = new LibvirtConnection(plan.uri);
  const stranger = randomUUID();
  try {
    t.true(await hypervisor.remove(id));
    await hypervisor.ensureRunning({ uuid: stranger, memoryMb: 64, vcpus: 1, type: 'test' });
    const result = await c.cloud.node.ask<{ missing: number; unknown: string[]; adopted: number; resumed: number }>(
      ref('host', plan.name),
      'register',
      registration(plan),
    );
    t.like(result, { missing: 1, resumed: 0, unknown: [stranger] });
    await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).body.server['OS-EXT-STS:power_state'] === 0);
    t.false((await domainsOf([plan.uri])).has(id), 'a hypervisor that did not restart gets no guest started behind the user’s back');
  } finally {
    await hypervisor.remove(stranger);
    await hypervisor.close();
  }
});

test.serial('a missing, bad or expired token is 401 in keystonemiddleware’s shape', async (t) => {
  const none = await c.nova.call('GET', '/v2.1/servers');
  t.is(none.status, 401);
  t.deepEqual(none.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  keystoneRefused(t, await c.nova.call('GET', '/v2.1/servers', { token: 'garbage' }), 401, 'The request you have made requires authentication.');
  keystoneRefused(t, await boot(c.nova, 'garbage', 'x'), 401, 'The request you have made requires authentication.');
  await clock.advance(c.config.identity.tokenTtlMs + 1);
  keystoneRefused(t, await c.nova.call('GET', '/v2.1/servers', { token: c.admin }), 401, 'The request you have made requires authentication.');
});
