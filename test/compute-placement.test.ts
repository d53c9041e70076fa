import test from 'ava';
import { at, boot, settled, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { userWithRole } from './helpers/compute-users.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';

// Placement: server groups honoured by the scheduler and at claim time (concurrent boots cannot break a hard
// policy), soft policies as weighers, aggregates giving hosts zones and metadata the scheduler filters on.
// One cloud of three simulated hosts with room for 20 tiny servers each; the tests run one after another
// because each one's servers occupy the hosts the next one counts on.

const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';
const HOSTS = ['pl-1', 'pl-2', 'pl-3'];
let c: ComputeCloud;
let adminProject: string;

test.before(async () => {
  c = await startComputeCloud('compute-placement', {
    libvirt: { hosts: HOSTS.map((name) => ({ name, vcpus: 20, cpuAllocationRatio: 1 })) },
  });
  adminProject = (await c.keystone.call('GET', '/v3/projects?name=admin', { token: c.admin })).body.projects[0].id;
  // Twenty members in one group: more than Nova's default member quota of ten.
  await c.cloud.db.models.Quota.bulkCreate([{ project_id: adminProject, resource: 'server_group_members', hard_limit: -1 }]);
});
test.after.always(async () => {
  await c?.stop();
});
test.afterEach.always(async () => {
  await clearServers();
});

const group = async (policy: string, rules: Record<string, number> = {}) => {
  const r = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.admin,
    headers: at('2.64'),
    body: { server_group: { name: `g-${policy}`, policy, rules } },
  });
  if (r.status !== 200) throw new Error(`group: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.server_group.id as string;
};

/** Boots `n` servers at once, each its own POST, into a group. */
const bootInto = (groupId: string, n: number, prefix: string) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      c.nova.call('POST', '/v2.1/servers', {
        token: c.admin,
        body: { server: { name: `${prefix}-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' }, 'os:scheduler_hints': { group: groupId } },
      }),
    ),
  );

/** Deletes every server and waits until they are gone, so the next test starts on empty hosts. */
async function clearServers(): Promise<void> {
  const servers = (await c.nova.call('GET', '/v2.1/servers?all_tenants=1', { token: c.admin })).body.servers as Array<{ id: string }>;
  await Promise.all(servers.map((s) => c.nova.call('DELETE', `/v2.1/servers/${s.id}`, { token: c.admin })));
  await eventually(async () => (await c.nova.call('GET', '/v2.1/servers?all_tenants=1', { token: c.admin })).body.servers.length === 0, 60_000, 50);
}

const perHost = (servers: any[]) => {
  const counts: Record<string, number> = {};
  for (const s of servers.filter((x) => x.status === 'ACTIVE')) counts[s['OS-EXT-SRV-ATTR:host']] = (counts[s['OS-EXT-SRV-ATTR:host']] ?? 0) + 1;
  return counts;
};

test.serial('os-server-groups: create at 2.1, 2.15 and 2.64, list, show, delete, and Nova’s refusals', async (t) => {
  const old = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    body: { server_group: { name: 'old', policies: ['anti-affinity'] } },
  });
  t.is(old.status, 200);
  t.deepEqual(Object.keys(old.body.server_group).sort(), ['id', 'members', 'metadata', 'name', 'policies']);
  t.like(old.body.server_group, { name: 'old', policies: ['anti-affinity'], members: [], metadata: {} });
  const soft21 = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    body: { server_group: { name: 's', policies: ['soft-affinity'] } },
  });
  t.is(soft21.status, 400);
  t.regex(soft21.body.badRequest.message, /^Invalid input for field\/attribute 0\. Value: soft-affinity\./);
  const soft215 = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    headers: at('2.15'),
    body: { server_group: { name: 's', policies: ['soft-affinity'] } },
  });
  t.is(soft215.status, 200);
  t.like(soft215.body.server_group, { policies: ['soft-affinity'], project_id: soft215.body.server_group.project_id });
  t.truthy(soft215.body.server_group.user_id, '2.13 shows the owner');
  const v264 = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    headers: at('2.64'),
    body: { server_group: { name: 'new', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
  });
  t.is(v264.status, 200);
  t.like(v264.body.server_group, { name: 'new', policy: 'anti-affinity', rules: { max_server_per_host: 2 }, members: [] });
  t.false('policies' in v264.body.server_group);
  const rulesOnAffinity = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    headers: at('2.64'),
    body: { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } },
  });
  t.deepEqual(rulesOnAffinity.body, { badRequest: { code: 400, message: 'Only anti-affinity policy supports rules.' } });
  const policiesAt264 = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: c.demo,
    headers: at('2.64'),
    body: { server_group: { name: 'x', policies: ['affinity'] } },
  });
  t.is(policiesAt264.status, 400);

  const list = await c.nova.call('GET', '/v2.1/os-server-groups', { token: c.demo, headers: at('2.64') });
  t.deepEqual(
    list.body.server_groups.map((g: any) => g.name),
    ['old', 's', 'new'],
  );
  const paged = await c.nova.call('GET', '/v2.1/os-server-groups?offset=1&limit=1', { token: c.demo });
  t.deepEqual(
    paged.body.server_groups.map((g: any) => g.name),
    ['s'],
  );
  t.deepEqual((await c.nova.call('GET', '/v2.1/os-server-groups', { token: c.admin })).body.server_groups, [], 'admin sees only its own project');
  t.is((await c.nova.call('GET', '/v2.1/os-server-groups?all_projects=True', { token: c.admin })).body.server_groups.length, 3);
  const strict = await c.nova.call('GET', '/v2.1/os-server-groups?bogus=1', { token: c.demo, headers: at('2.75') });
  t.is(strict.status, 400);

  const id = v264.body.server_group.id;
  t.is((await c.nova.call('GET', `/v2.1/os-server-groups/${id}`, { token: c.demo })).body.server_group.id, id);
  const missing = '3c2b4a7e-0000-4000-8000-000000000000';
  t.deepEqual((await c.nova.call('GET', `/v2.1/os-server-groups/${missing}`, { token: c.demo })).body, {
    itemNotFound: { code: 404, message: `Instance group ${missing} could not be found.` },
  });
  t.is((await c.nova.call('DELETE', `/v2.1/os-server-groups/${id}`, { token: c.demo })).status, 204);
  t.is((await c.nova.call('DELETE', `/v2.1/os-server-groups/${id}`, { token: c.demo })).status, 404);

  // Quotas: server_groups per project (Nova's message), and members per group at boot.
  const quoted = await userWithRole(c, 'grouper', 'member', 'demo');
  await c.cloud.db.models.Quota.bulkCreate(
    [
      { project_id: quoted.projectId, resource: 'server_groups', hard_limit: 2 },
      { project_id: quoted.projectId, resource: 'server_group_members', hard_limit: 1 },
      { project_id: quoted.projectId, resource: 'instances', hard_limit: -1 },
    ],
    { updateOnDuplicate: ['hard_limit'] },
  );
  t.like((await c.nova.call('GET', '/v2.1/limits', { token: quoted.token })).body.limits.absolute, {
    maxServerGroups: 2,
    maxServerGroupMembers: 1,
    totalServerGroupsUsed: 2,
  });
  const over = await c.nova.call('POST', '/v2.1/os-server-groups', {
    token: quoted.token,
    body: { server_group: { name: 'o', policies: ['affinity'] } },
  });
  t.deepEqual(over.body, { forbidden: { code: 403, message: 'Quota exceeded, too many server groups.' } });
  const full = await c.nova.call('POST', '/v2.1/servers', {
    token: quoted.token,
    body: {
      server: { name: 'two', imageRef: TINY_IMAGE_ID, flavorRef: '1', min_count: 2 },
      'os:scheduler_hints': { group: old.body.server_group.id },
    },
  });
  t.deepEqual(full.body, { forbidden: { code: 403, message: 'Quota exceeded, too many servers in group' } });
  const unknown = await c.nova.call('POST', '/v2.1/servers', {
    token: c.demo,
    body: { server: { name: 'lost', imageRef: TINY_IMAGE_ID, flavorRef: '1' }, 'os:scheduler_hints': { group: missing } },
  });
  t.deepEqual(unknown.body, { badRequest: { code: 400, message: `Instance group ${missing} could not be found.` } });
  t.deepEqual((await c.nova.call('GET', '/v2.1/servers', { token: c.demo })).body.servers, [], 'refused boots leave nothing');
});

test.serial('anti-affinity: 20 concurrent boots on 3 hosts give 3 ACTIVE on distinct hosts, 17 ERROR with No valid host', async (t) => {
  const id = await group('anti-affinity');
  const answers = await bootInto(id, 20, 'anti');
  t.deepEqual(
    answers.map((a) => a.status),
    Array(20).fill(202),
  );
  const servers = await settled(c.nova, c.admin);
  const active = servers.filter((s) => s.status === 'ACTIVE');
  t.is(active.length, 3);
  t.deepEqual(active.map((s) => s['OS-EXT-SRV-ATTR:host']).sort(), HOSTS);
  const failed = servers.filter((s) => s.status === 'ERROR');
  t.is(failed.length, 17);
  for (const s of failed) t.is(s.fault.message, NO_VALID_HOST);
  // The members are every server not deleted, the failed ones too (as in Nova).
  const shown = await c.nova.call('GET', `/v2.1/os-server-groups/${id}`, { token: c.admin });
  t.is(shown.body.server_group.members.length, 20);
  // 2.71 names the group in the server view.
  const one = await c.nova.call('GET', `/v2.1/servers/${active[0].id}`, { token: c.admin, headers: at('2.71') });
  t.deepEqual(one.body.server.server_groups, [id]);
  await clearServers();
  t.deepEqual((await c.nova.call('GET', `/v2.1/os-server-groups/${id}`, { token: c.admin })).body.server_group.members, [], 'deleted servers leave');
  // Their hosts are free for the group again.
  await bootInto(id, 3, 'anti-again');
  t.deepEqual(perHost(await settled(c.nova, c.admin)), { 'pl-1': 1, 'pl-2': 1, 'pl-3': 1 });
});

test.serial('anti-affinity with max_server_per_host 2: 8 concurrent boots give 6 ACTIVE, two per host', async (t) => {
  const id = await group('anti-affinity', { max_server_per_host: 2 });
  await bootInto(id, 8, 'anti2');
  const servers = await settled(c.nova, c.admin);
  t.deepEqual(perHost(servers), { 'pl-1': 2, 'pl-2': 2, 'pl-3': 2 });
  t.deepEqual(
    servers.filter((s) => s.status === 'ERROR').map((s) => s.fault.message),
    [NO_VALID_HOST, NO_VALID_HOST],
  );
});

test.serial('affinity: 6 concurrent boots all land on one host', async (t) => {
  const id = await group('affinity');
  await bootInto(id, 6, 'aff');
  const servers = await settled(c.nova, c.admin);
  t.is(servers.filter((s) => s.status === 'ACTIVE').length, 6, JSON.stringify(servers.map((s) => [s.name, s.status, s['OS-EXT-SRV-ATTR:host']])));
  t.is(Object.keys(perHost(servers)).length, 1);
  // A later member joins them there.
  await bootInto(id, 1, 'aff-late');
  const after = await settled(c.nova, c.admin);
  t.deepEqual(Object.values(perHost(after)), [7]);
});

test.serial('soft policies weigh: soft-anti-affinity spreads 6 over 3 hosts, soft-affinity packs 4 on one', async (t) => {
  await bootInto(await group('soft-anti-affinity'), 6, 'santi');
  t.deepEqual(perHost(await settled(c.nova, c.admin)), { 'pl-1': 2, 'pl-2': 2, 'pl-3': 2 });
  await clearServers();
  await bootInto(await group('soft-affinity'), 4, 'saff');
  t.deepEqual(Object.values(perHost(await settled(c.nova, c.admin))), [4]);
});

test.serial('os-aggregates: CRUD, hosts, metadata, zones; Nova’s 400/404/409s; os-availability-zone follows', async (t) => {
  const call = (method: string, path: string, body?: unknown, version = '2.41') =>
    c.nova.call(method, `/v2.1/os-aggregates${path}`, { token: c.admin, headers: at(version), ...(body ? { body } : {}) });
  const made = await call('POST', '', { aggregate: { name: 'agg-x', availability_zone: 'az-x' } });
  t.is(made.status, 200);
  t.like(made.body.aggregate, { name: 'agg-x', availability_zone: 'az-x', deleted: false });
  t.truthy(made.body.aggregate.uuid);
  t.false('hosts' in made.body.aggregate, 'create answers without hosts, as Nova');
  const x = made.body.aggregate.id as number;
  t.deepEqual((await call('POST', '', { aggregate: { name: 'agg-x' } })).body, {
    conflictingRequest: { code: 409, message: 'Aggregate agg-x already exists.' },
  });
  t.deepEqual((await call('POST', '', { aggregate: { name: 'bad', availability_zone: 'a:b' } })).status, 400);
  t.is((await c.nova.call('GET', '/v2.1/os-aggregates', { token: c.demo })).status, 403);

  const added = await call('POST', `/${x}/action`, { add_host: { host: 'pl-3' } });
  t.is(added.status, 200);
  t.deepEqual(added.body.aggregate.hosts, ['pl-3']);
  t.deepEqual(added.body.aggregate.metadata, { availability_zone: 'az-x' });
  t.deepEqual((await call('POST', `/${x}/action`, { add_host: { host: 'pl-3' } })).body, {
    conflictingRequest: { code: 409, message: `Aggregate ${x} already has host pl-3.` },
  });
  t.deepEqual((await call('POST', `/${x}/action`, { add_host: { host: 'nowhere' } })).body, {
    itemNotFound: { code: 404, message: 'Compute host nowhere could not be found.' },
  });
  const y = (await call('POST', '', { aggregate: { name: 'agg-y', availability_zone: 'az-y' } })).body.aggregate.id as number;
  t.deepEqual((await call('POST', `/${y}/action`, { add_host: { host: 'pl-3' } })).body, {
    conflictingRequest: {
      code: 409,
      message: `Cannot add host to aggregate ${y}. Reason: One or more hosts already in availability zone(s) ['az-x'].`,
    },
  });
  t.deepEqual((await call('DELETE', `/${x}`)).body, {
    badRequest: { code: 400, message: `Cannot perform action 'delete' on aggregate ${x}. Reason: Host aggregate is not empty.` },
  });
  t.deepEqual((await call('GET', '/99999')).body, { itemNotFound: { code: 404, message: 'Aggregate 99999 could not be found.' } });
  t.deepEqual((await call('GET', '/abc')).body, { badRequest: { code: 400, message: 'Invalid input received: id must be an integer' } });
  t.is((await call('DELETE', `/${y}`)).status, 200);

  // The zone shows in os-availability-zone, os-services and os-hypervisors alike.
  const zones = await c.nova.call('GET', '/v2.1/os-availability-zone', { token: c.demo });
  t.deepEqual(zones.body.availabilityZoneInfo.map((z: any) => z.zoneName).sort(), ['az-x', 'nova']);
  const detail = await c.nova.call('GET', '/v2.1/os-availability-zone/detail', { token: c.admin });
  t.deepEqual(Object.keys(detail.body.availabilityZoneInfo.find((z: any) => z.zoneName === 'az-x').hosts), ['pl-3']);
  const services = await c.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: c.admin });
  t.is(services.body.services.find((s: any) => s.host === 'pl-3').zone, 'az-x');

  // Boots naming the zone go to its host; the others stay out of it when they name the default zone.
  const inZone = await Promise.all([0, 1, 2].map((i) => boot(c.nova, c.admin, `zx-${i}`, { availability_zone: 'az-x' })));
  t.deepEqual(
    inZone.map((r) => r.status),
    [202, 202, 202],
  );
  const outside = await Promise.all([0, 1, 2].map((i) => boot(c.nova, c.admin, `nova-${i}`, { availability_zone: 'nova' })));
  t.deepEqual(
    outside.map((r) => r.status),
    [202, 202, 202],
  );
  const servers = await settled(c.nova, c.admin);
  for (const s of servers) {
    const zoned = s.name.startsWith('zx-');
    t.is(s.status, 'ACTIVE');
    t.is(s['OS-EXT-AZ:availability_zone'], zoned ? 'az-x' : 'nova');
    t.is(s['OS-EXT-SRV-ATTR:host'] === 'pl-3', zoned, `${s.name} on ${s['OS-EXT-SRV-ATTR:host']}`);
  }
  const unknownZone = await boot(c.nova, c.admin, 'nowhere', { availability_zone: 'az-none' });
  t.deepEqual(unknownZone.body, { badRequest: { code: 400, message: 'The requested availability zone is not available' } });
  await clearServers();

  // Renaming the zone while a host is in it; then the host leaves and the aggregate goes.
  const renamed = await call('POST', `/${x}/action`, { set_metadata: { metadata: { availability_zone: 'az-z', note: 'kept' } } });
  t.deepEqual(renamed.body.aggregate.metadata, { availability_zone: 'az-z', note: 'kept' });
  const unset = await call('POST', `/${x}/action`, { set_metadata: { metadata: { note: null } } });
  t.deepEqual(unset.body.aggregate.metadata, { availability_zone: 'az-z' });
  t.deepEqual((await call('POST', `/${x}/action`, { remove_host: { host: 'pl-1' } })).body, {
    itemNotFound: { code: 404, message: `Aggregate ${x} has no host pl-1.` },
  });
  t.deepEqual((await call('POST', `/${x}/action`, { remove_host: { host: 'pl-3' } })).body.aggregate.hosts, []);
  t.is((await call('DELETE', `/${x}`)).status, 200);
  t.deepEqual((await call('GET', '')).body.aggregates, []);
});

test.serial('flavor extra specs steer boots to the aggregates whose metadata match them (AggregateInstanceExtraSpecsFilter)', async (t) => {
  const admin = (method: string, path: string, body?: unknown) => c.nova.call(method, `/v2.1${path}`, { token: c.admin, ...(body ? { body } : {}) });
  const fast = (await admin('POST', '/os-aggregates', { aggregate: { name: 'fast' } })).body.aggregate.id;
  await admin('POST', `/os-aggregates/${fast}/action`, { add_host: { host: 'pl-2' } });
  await admin('POST', `/os-aggregates/${fast}/action`, { set_metadata: { metadata: { ssd: 'true', tier: '3' } } });
  const flavor = async (id: string, specs: Record<string, string>) => {
    t.is((await admin('POST', '/flavors', { flavor: { name: `f-${id}`, id, ram: 512, vcpus: 1, disk: 1 } })).status, 200);
    t.is((await admin('POST', `/flavors/${id}/os-extra_specs`, { extra_specs: specs })).status, 200);
  };
  await flavor('ssd', { 'aggregate_instance_extra_specs:ssd': 'true' });
  await flavor('tier', { 'aggregate_instance_extra_specs:tier': '>= 2' });
  await flavor('none', { 'aggregate_instance_extra_specs:ssd': 'false' });
  for (const [i, ref] of ['ssd', 'ssd', 'tier', 'tier', 'none'].entries())
    t.is((await boot(c.nova, c.admin, `spec-${i}-${ref}`, { flavorRef: ref })).status, 202);
  const servers = await settled(c.nova, c.admin);
  for (const s of servers) {
    if (s.name.endsWith('none')) t.like(s, { status: 'ERROR', fault: { message: NO_VALID_HOST } });
    else t.like(s, { status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'pl-2' });
  }
  await clearServers();
  await admin('POST', `/os-aggregates/${fast}/action`, { remove_host: { host: 'pl-2' } });
  await admin('DELETE', `/os-aggregates/${fast}`);
});

test.serial('the hosts check hard policies at claim time: forced hosts that would break a group are refused', async (t) => {
  // A forced host skips the scheduler's filters (Nova's force_hosts); the host's own claim check still holds the policy.
  const forced = (groupId: string, name: string, host: string) =>
    c.nova.call('POST', '/v2.1/servers', {
      token: c.admin,
      body: {
        server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1', availability_zone: `nova:${host}` },
        'os:scheduler_hints': { group: groupId },
      },
    });
  const anti = await group('anti-affinity');
  t.is((await forced(anti, 'anti-a', 'pl-1')).status, 202);
  await settled(c.nova, c.admin);
  t.is((await forced(anti, 'anti-b', 'pl-1')).status, 202);
  const aff = await group('affinity');
  t.is((await forced(aff, 'aff-a', 'pl-2')).status, 202);
  await settled(c.nova, c.admin);
  t.is((await forced(aff, 'aff-b', 'pl-3')).status, 202);
  const byName = new Map((await settled(c.nova, c.admin)).map((s) => [s.name, s]));
  t.like(byName.get('anti-a'), { status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'pl-1' });
  t.like(byName.get('aff-a'), { status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'pl-2' });
  for (const [name, reason] of [
    ['anti-b', 'Anti-affinity instance group policy was violated.'],
    ['aff-b', 'Affinity instance group policy was violated.'],
  ]) {
    const s = byName.get(name);
    t.like(s, { status: 'ERROR', 'OS-EXT-SRV-ATTR:host': null, fault: { code: 500, message: NO_VALID_HOST } });
    t.is(s.fault.details, `Last failure: ${reason}`);
  }
});

test.serial('image properties are matched to what the hosts run (ImagePropertiesFilter)', async (t) => {
  const glance = client(c.cloud.images!.url);
  const image = async (name: string, props: Record<string, string>) => {
    const created = (
      await glance.call('POST', '/v2/images', {
        token: c.admin,
        body: { name, disk_format: 'raw', container_format: 'bare', visibility: 'public', ...props },
      })
    ).body;
    await fetch(`${c.cloud.images!.url}/v2/images/${created.id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': c.admin, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(Buffer.alloc(16)),
    });
    return created.id as string;
  };
  const x86 = await image('x86', { hw_architecture: 'x86_64', img_hv_type: 'qemu', hw_vm_mode: 'hvm' });
  const legacy = await image('legacy', { architecture: 'amd64' });
  const arm = await image('arm', { hw_architecture: 'aarch64' });
  const xen = await image('xen', { img_hv_type: 'xen' });
  for (const [name, imageRef] of Object.entries({ x86, legacy, arm, xen }))
    t.is((await boot(c.nova, c.admin, `img-${name}`, { imageRef })).status, 202);
  const byName = new Map((await settled(c.nova, c.admin)).map((s) => [s.name, s]));
  t.is(byName.get('img-x86').status, 'ACTIVE');
  t.is(byName.get('img-legacy').status, 'ACTIVE', 'amd64 is x86_64, as Nova canonicalizes it');
  t.like(byName.get('img-arm'), { status: 'ERROR', fault: { message: NO_VALID_HOST } });
  t.like(byName.get('img-xen'), { status: 'ERROR', fault: { message: NO_VALID_HOST } });
});
