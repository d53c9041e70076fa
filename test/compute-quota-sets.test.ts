import test from 'ava';
import { openstack, python } from './helpers/cloud-process.js';
import { at, boot, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { userWithRole } from './helpers/compute-users.js';

// os-quota-sets and os-quota-class-sets as Nova 26 serves them, over raw HTTP with the response oracle on and
// through Debian's `openstack` CLI: what each shows per microversion, who may read and change them, Nova's checks
// of a new limit, per-user limits held at boot, and the default class as every project's defaults.
let c: ComputeCloud;

test.before(async () => {
  c = await startComputeCloud('compute-quota-sets', { libvirt: { simulatedHosts: 2 } }, undefined, { demoQuotas: 'default' });
});
test.after.always(async () => {
  await c?.stop();
});

const call = (method: string, path: string, token: string, version?: string, body?: unknown) =>
  c.nova.call(method, `/v2.1${path}`, { token, body, headers: version ? at(version) : {} });
const projectId = async (name: string) =>
  (await c.keystone.call('GET', `/v3/projects?name=${name}`, { token: c.admin })).body.projects[0].id as string;
const newProject = async (name: string) =>
  (await c.keystone.call('POST', '/v3/projects', { token: c.admin, body: { project: { name, domain_id: 'default' } } })).body.project.id as string;
const forbidden = (rule: string) => ({ forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } });
const badRequest = (message: string) => ({ badRequest: { code: 400, message } });

const NOVA_DEFAULTS = {
  cores: 20,
  instances: 10,
  key_pairs: 100,
  metadata_items: 128,
  ram: 51200,
  server_group_members: 10,
  server_groups: 10,
};
const PERSONALITY = { injected_file_content_bytes: 10240, injected_file_path_bytes: 255, injected_files: 5 };
const NETWORK = { fixed_ips: -1, floating_ips: -1, security_group_rules: -1, security_groups: -1 };

test.serial('a project’s quota set, its defaults and its detail, per microversion, for its members and admins', async (t) => {
  const demo = await projectId('demo');
  const at21 = await call('GET', `/os-quota-sets/${demo}`, c.demo);
  t.is(at21.status, 200);
  t.deepEqual(at21.body, { quota_set: { id: demo, ...NOVA_DEFAULTS, ...PERSONALITY, ...NETWORK } });
  t.deepEqual((await call('GET', `/os-quota-sets/${demo}`, c.demo, '2.36')).body, { quota_set: { id: demo, ...NOVA_DEFAULTS, ...PERSONALITY } });
  t.deepEqual((await call('GET', `/os-quota-sets/${demo}`, c.admin, '2.57')).body, { quota_set: { id: demo, ...NOVA_DEFAULTS } });
  t.deepEqual((await call('GET', `/os-quota-sets/${demo}/defaults`, c.demo, '2.57')).body, { quota_set: { id: demo, ...NOVA_DEFAULTS } });
  // The bootstrap admin project is unlimited by its own rows; its defaults are still Nova's.
  const admin = await projectId('admin');
  t.like((await call('GET', `/os-quota-sets/${admin}`, c.admin)).body.quota_set, { instances: -1, cores: -1, ram: -1, key_pairs: 100 });
  t.like((await call('GET', `/os-quota-sets/${admin}/defaults`, c.admin)).body.quota_set, { instances: 10, cores: 20, ram: 51200 });

  const booted = await boot(c.nova, c.demo, 'counted', { flavorRef: '2' });
  t.is(booted.status, 202);
  const detail = await call('GET', `/os-quota-sets/${demo}/detail`, c.demo, '2.57');
  t.is(detail.status, 200);
  t.deepEqual(detail.body.quota_set.instances, { limit: 10, in_use: 1, reserved: 0 });
  t.deepEqual(detail.body.quota_set.cores, { limit: 20, in_use: 1, reserved: 0 });
  t.deepEqual(detail.body.quota_set.ram, { limit: 51200, in_use: 2048, reserved: 0 });
  t.deepEqual(detail.body.quota_set.key_pairs, { limit: 100, in_use: 0, reserved: 0 }, 'key pairs are not counted here');
  t.deepEqual(Object.keys(detail.body.quota_set).sort(), ['id', ...Object.keys(NOVA_DEFAULTS)].sort());
  t.is(Object.keys((await call('GET', `/os-quota-sets/${demo}/detail`, c.demo, '2.1')).body.quota_set).length, 15);
  t.is((await call('DELETE', `/servers/${booted.body.server.id}`, c.demo)).status, 204);

  // Another project's quotas are an admin's to read; a project Keystone does not know is a 400.
  t.deepEqual((await call('GET', `/os-quota-sets/${admin}`, c.demo)).body, forbidden('os_compute_api:os-quota-sets:show'));
  t.deepEqual((await call('GET', `/os-quota-sets/${admin}/detail`, c.demo)).body, forbidden('os_compute_api:os-quota-sets:detail'));
  const stranger = '0123456789abcdef0123456789abcdef';
  const unknown = await call('GET', `/os-quota-sets/${stranger}`, c.admin);
  t.is(unknown.status, 400);
  t.deepEqual(unknown.body, badRequest(`Project ID ${stranger} is not a valid project.`));
  // Unknown query parameters were ignored until 2.75.
  t.is((await call('GET', `/os-quota-sets/${demo}?foo=1`, c.demo, '2.74')).status, 200);
  t.deepEqual(
    (await call('GET', `/os-quota-sets/${demo}?foo=1`, c.demo, '2.75')).body,
    badRequest("Additional properties are not allowed ('foo' was unexpected)"),
  );
});

test.serial('an admin updates a project’s quotas, checked against its use unless forced, and reverts them', async (t) => {
  const { token, projectId: project } = await userWithRole(c, 'q-member', 'member', 'demo');
  const other = await newProject('quota-updates');
  const put = (body: unknown, caller = c.admin, version?: string, query = '') =>
    call('PUT', `/os-quota-sets/${other}${query}`, caller, version, body);

  t.deepEqual((await put({ quota_set: { instances: 5 } }, token)).body, forbidden('os_compute_api:os-quota-sets:update'));
  t.deepEqual((await call('DELETE', `/os-quota-sets/${project}`, token)).body, forbidden('os_compute_api:os-quota-sets:delete'));

  const updated = await put({ quota_set: { instances: '5', cores: 8, ram: -1, server_groups: 3 } }, c.admin, '2.57');
  t.is(updated.status, 200);
  t.deepEqual(updated.body, { quota_set: { ...NOVA_DEFAULTS, instances: 5, cores: 8, ram: -1, server_groups: 3 } }, 'no id in an update');
  const limits = await c.nova.call('GET', `/v2.1/limits?tenant_id=${other}`, { token: c.admin });
  t.like(limits.body.limits.absolute, { maxTotalInstances: 5, maxTotalCores: 8, maxTotalRAMSize: -1, maxServerGroups: 3, maxServerGroupMembers: 10 });

  // Refusals: Nova's schema words, the removed networks quota, a limit below what is used.
  t.deepEqual(
    (await put({ quota_set: { instances: 'many' } })).body,
    badRequest("Invalid input for field/attribute instances. Value: many. 'many' does not match '^-?[0-9]+$'"),
  );
  t.deepEqual(
    (await put({ quota_set: { cores: -2 } })).body,
    badRequest('Invalid input for field/attribute cores. Value: -2. -2 is less than the minimum of -1'),
  );
  t.deepEqual((await put({ quota_set: { networks: 3 } })).body, badRequest('The networks quota has been removed'));
  t.deepEqual(
    (await put({ quota_set: { networks: 3 } }, c.admin, '2.36')).body,
    badRequest(
      "Invalid input for field/attribute quota_set. Value: {'networks': 3}. Additional properties are not allowed ('networks' was unexpected)",
    ),
  );
  t.deepEqual(
    (await put({ quota_set: { injected_files: 3 } }, c.admin, '2.57')).body,
    badRequest(
      "Invalid input for field/attribute quota_set. Value: {'injected_files': 3}. Additional properties are not allowed ('injected_files' was unexpected)",
    ),
  );
  t.deepEqual((await put({ instances: 3 })).body, badRequest("'quota_set' is a required property"));

  const member = await userWithRole(c, 'q-owner', 'member', 'quota-updates');
  for (const name of ['u-1', 'u-2']) t.is((await boot(c.nova, member.token, name)).status, 202);
  const below = await put({ quota_set: { instances: 1, cores: 4 } });
  t.is(below.status, 400);
  t.deepEqual(below.body, badRequest('Quota limit 1 for instances must be greater than or equal to already used and reserved 2.'));
  t.like((await call('GET', `/os-quota-sets/${other}`, c.admin)).body.quota_set, { instances: 5, cores: 8 }, 'nothing written when one value fails');
  const forced = await put({ quota_set: { instances: 1, force: 'True' } });
  t.is(forced.status, 200);
  t.is(forced.body.quota_set.instances, 1);
  const over = await boot(c.nova, member.token, 'u-3');
  t.deepEqual(over.body, { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 2 of 1 instances' } });

  const reverted = await call('DELETE', `/os-quota-sets/${other}`, c.admin);
  t.is(reverted.status, 202);
  t.is(reverted.body, undefined, 'an empty answer');
  t.deepEqual((await call('GET', `/os-quota-sets/${other}`, c.admin, '2.57')).body, { quota_set: { id: other, ...NOVA_DEFAULTS } });
});

test.serial('per-user limits: shown, capped by the project’s, and held at boot and for key pairs', async (t) => {
  const project = await newProject('per-user');
  const alice = await userWithRole(c, 'q-alice', 'member', 'per-user');
  const bob = await userWithRole(c, 'q-bob', 'member', 'per-user');
  const put = (user: string, quota: Record<string, unknown>) =>
    call('PUT', `/os-quota-sets/${project}?user_id=${user}`, c.admin, '2.57', { quota_set: quota });

  t.is((await call('PUT', `/os-quota-sets/${project}`, c.admin, '2.57', { quota_set: { instances: 6 } })).status, 200);
  const first = await put(alice.id, { instances: 1, key_pairs: 1 });
  t.is(first.status, 200, JSON.stringify(first.body));
  t.like(first.body.quota_set, { instances: 1, key_pairs: 1, cores: 20 });
  t.like((await call('GET', `/os-quota-sets/${project}?user_id=${alice.id}`, alice.token)).body.quota_set, { id: project, instances: 1 });
  t.like(
    (await call('GET', `/os-quota-sets/${project}`, alice.token)).body.quota_set,
    { instances: 6, key_pairs: 100 },
    'the project’s own unchanged',
  );
  // The project's 6 less alice's 1 leave bob at most 5.
  t.deepEqual((await put(bob.id, { instances: 6 })).body, badRequest('Quota limit 6 for instances must be less than or equal to 5.'));
  t.is((await put(bob.id, { instances: 5 })).status, 200);
  // A project's limit no lower than its users' own limits together.
  t.deepEqual(
    (await call('PUT', `/os-quota-sets/${project}`, c.admin, '2.57', { quota_set: { instances: 5 } })).body,
    badRequest('Quota limit 5 for instances must be greater than or equal to already used and reserved 6.'),
  );

  t.is((await boot(c.nova, alice.token, 'a-1')).status, 202);
  const again = await boot(c.nova, alice.token, 'a-2');
  t.deepEqual(again.body, { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 1 of 1 instances' } });
  t.is((await boot(c.nova, bob.token, 'b-1', { min_count: 2 })).status, 202, 'bob is held to his own limit, not alice’s');
  const detail = await call('GET', `/os-quota-sets/${project}/detail?user_id=${alice.id}`, c.admin, '2.57');
  t.deepEqual(detail.body.quota_set.instances, { limit: 1, in_use: 1, reserved: 0 });

  // Generated key pairs (below 2.92): one is alice's limit.
  t.is((await c.nova.call('POST', '/v2.1/os-keypairs', { token: alice.token, body: { keypair: { name: 'k1' } } })).status, 200);
  const second = await c.nova.call('POST', '/v2.1/os-keypairs', { token: alice.token, body: { keypair: { name: 'k2' } } });
  t.deepEqual(second.body, { forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' } });
  // As in Nova, the detail counts no key pairs, even a user's.
  t.deepEqual((await call('GET', `/os-quota-sets/${project}/detail?user_id=${alice.id}`, alice.token, '2.57')).body.quota_set.key_pairs, {
    limit: 1,
    in_use: 0,
    reserved: 0,
  });

  // Deleting a user's quotas gives them the project's again.
  t.is((await call('DELETE', `/os-quota-sets/${project}?user_id=${alice.id}`, c.admin)).status, 202);
  t.like((await call('GET', `/os-quota-sets/${project}?user_id=${alice.id}`, c.admin)).body.quota_set, { instances: 6, key_pairs: 100 });
  t.like((await call('GET', `/os-quota-sets/${project}?user_id=${bob.id}`, c.admin)).body.quota_set, { instances: 5 });
});

test.serial('quota class sets: admins only, fields per microversion, and the default class is every project’s defaults', async (t) => {
  t.deepEqual((await call('GET', '/os-quota-class-sets/default', c.demo)).body, forbidden('os_compute_api:os-quota-class-sets:show'));
  t.deepEqual(
    (await call('PUT', '/os-quota-class-sets/default', c.demo, undefined, { quota_class_set: { instances: 1 } })).body,
    forbidden('os_compute_api:os-quota-class-sets:update'),
  );
  const at21 = await call('GET', '/os-quota-class-sets/default', c.admin);
  t.is(at21.status, 200);
  const { server_groups: _g, server_group_members: _m, ...withoutGroups } = NOVA_DEFAULTS;
  t.deepEqual(at21.body, { quota_class_set: { id: 'default', ...withoutGroups, ...PERSONALITY, ...NETWORK } }, 'no server groups before 2.50');
  t.deepEqual((await call('GET', '/os-quota-class-sets/default', c.admin, '2.50')).body, {
    quota_class_set: { id: 'default', ...NOVA_DEFAULTS, ...PERSONALITY },
  });
  t.deepEqual((await call('GET', '/os-quota-class-sets/default', c.admin, '2.57')).body, { quota_class_set: { id: 'default', ...NOVA_DEFAULTS } });

  const fresh = await newProject('class-defaults');
  const set = await call('PUT', '/os-quota-class-sets/default', c.admin, '2.57', { quota_class_set: { instances: 15, server_group_members: '4' } });
  t.is(set.status, 200);
  t.deepEqual(set.body, { quota_class_set: { ...NOVA_DEFAULTS, instances: 15, server_group_members: 4 } });
  try {
    t.like((await call('GET', `/os-quota-sets/${fresh}`, c.admin)).body.quota_set, { instances: 15, server_group_members: 4 });
    t.like((await call('GET', `/os-quota-sets/${fresh}/defaults`, c.admin)).body.quota_set, { instances: 15 });
    t.like((await c.nova.call('GET', `/v2.1/limits?tenant_id=${fresh}`, { token: c.admin })).body.limits.absolute, {
      maxTotalInstances: 15,
      maxServerGroupMembers: 4,
    });
    // Another class is its own rows over the configured defaults, not over the default class's.
    t.like((await call('GET', '/os-quota-class-sets/gold', c.admin, '2.57')).body.quota_class_set, { id: 'gold', instances: 10 });
    t.deepEqual(
      (await call('PUT', '/os-quota-class-sets/default', c.admin, '2.50', { quota_class_set: { floating_ips: 1 } })).body,
      badRequest(
        "Invalid input for field/attribute quota_class_set. Value: {'floating_ips': 1}. Additional properties are not allowed ('floating_ips' was unexpected)",
      ),
    );
    t.deepEqual(
      (await call('PUT', '/os-quota-class-sets/default', c.admin, '2.57', { quota_class_set: { ram: 0x80000000 } })).body,
      badRequest('Invalid input for field/attribute ram. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647'),
    );
    const long = 'x'.repeat(256);
    t.deepEqual(
      (await call('PUT', `/os-quota-class-sets/${long}`, c.admin, '2.57', { quota_class_set: { ram: 1 } })).body,
      badRequest('quota_class_name has 256 characters, more than 255.'),
    );
  } finally {
    await call('PUT', '/os-quota-class-sets/default', c.admin, '2.57', { quota_class_set: { instances: 10, server_group_members: 10 } });
  }
});

// openstacksdk (0.101, at the 2.56 it negotiates for quota sets) reads, updates and reverts a project's quota set.
const SDK_QUOTAS = `
import json, sys, openstack
conn = openstack.connect(cloud='stratus')
project = sys.argv[1]
before = conn.compute.get_quota_set(project)
instances, ram = before.instances, before.ram
conn.compute.update_quota_set(before, ram=4096)
updated = conn.compute.get_quota_set(project).ram
conn.compute.revert_quota_set(project)
print(json.dumps({'instances': instances, 'ram': ram, 'updated': updated,
                  'reverted': conn.compute.get_quota_set(project).instances}))
`;

test.serial('the openstack CLI shows and sets project, default and class quotas; openstacksdk updates and reverts them', async (t) => {
  const as = (cloud: string, ...args: string[]) => openstack(`${c.dir}/clouds.yaml`, ['--os-cloud', cloud, ...args]);
  const osc = (...args: string[]) => as('stratus', ...args);
  const project = await newProject('cli-quotas');
  const sdkProject = await newProject('sdk-quotas');
  t.is((await call('PUT', `/os-quota-sets/${sdkProject}`, c.admin, '2.57', { quota_set: { instances: 7 } })).status, 200);
  // Independent commands run together: each CLI start costs seconds.
  const [set, setClass, refused] = await Promise.all([
    osc('quota', 'set', '--instances', '7', '--cores', '9', '--key-pairs', '3', 'cli-quotas'),
    osc('--os-compute-api-version', '2.50', 'quota', 'set', '--class', '--server-groups', '12', 'default'),
    as('stratus-demo', 'quota', 'set', '--instances', '1', 'demo'),
  ]);
  try {
    t.is(set.code, 0, set.stderr);
    t.is(setClass.code, 0, setClass.stderr);
    t.not(refused.code, 0);
    t.regex(refused.stderr, /Policy doesn't allow os_compute_api:os-quota-sets:update to be performed\. \(HTTP 403\)/);
    const [show, defaults, showClass, sdk] = await Promise.all([
      osc('quota', 'show', '-f', 'json', 'cli-quotas'),
      osc('quota', 'show', '--default', '-f', 'json', 'cli-quotas'),
      osc('--os-compute-api-version', '2.50', 'quota', 'show', '--class', '-f', 'json', 'default'),
      python(`${c.dir}/clouds.yaml`, SDK_QUOTAS, [sdkProject]),
    ]);
    t.is(sdk.code, 0, sdk.stderr);
    t.deepEqual(sdk.json, { instances: 7, ram: 51200, updated: 4096, reverted: 10 });
    t.is(show.code, 0, show.stderr);
    t.like(show.json, { instances: 7, cores: 9, 'key-pairs': 3, ram: 51200, project });
    t.is(defaults.code, 0, defaults.stderr);
    t.like(defaults.json, { instances: 10, cores: 20 });
    // openstackclient 6.0 reads the class set's `id` as a project and looks it up in Keystone, so it shows a class
    // only if a project of that name exists (Nova answers the class with an id too): read back over HTTP instead.
    t.not(showClass.code, 0);
    t.regex(showClass.stderr, /No project with a name or ID of 'default' exists/);
    t.like((await call('GET', '/os-quota-class-sets/default', c.admin, '2.50')).body.quota_class_set, { server_groups: 12, instances: 10 });
    t.like((await call('GET', `/os-quota-sets/${project}`, c.admin)).body.quota_set, { server_groups: 12, instances: 7 });
  } finally {
    await call('PUT', '/os-quota-class-sets/default', c.admin, '2.57', { quota_class_set: { server_groups: 10 } });
  }
});

test.serial('a limit lowered while boots race is never below what they got: the check and the write hold the quota lock', async (t) => {
  const project = await newProject('lowered');
  const racer = await userWithRole(c, 'q-lowered', 'member', 'lowered');
  t.is((await call('PUT', `/os-quota-sets/${project}`, c.admin, '2.57', { quota_set: { instances: 20 } })).status, 200);
  const boots = Array.from({ length: 10 }, (_, i) => boot(c.nova, racer.token, `low-${i}`));
  const lowered = call('PUT', `/os-quota-sets/${project}`, c.admin, '2.57', { quota_set: { instances: 4 } });
  const [put, ...answers] = await Promise.all([lowered, ...boots]);
  const servers = (await c.nova.call('GET', '/v2.1/servers', { token: racer.token })).body.servers.length as number;
  t.is(servers, answers.filter((a) => a.status === 202).length);
  if (put.status === 200) {
    // Lowered first (or between boots, with no more than four in): every later boot is held to four.
    t.true(servers <= 4, `${servers} servers under a limit of 4`);
    for (const r of answers.filter((a) => a.status !== 202))
      t.regex(r.body.forbidden.message, /^Quota exceeded for instances: Requested 1, but already used 4 of 4 instances$/);
  } else {
    t.is(put.status, 400);
    t.regex(put.body.badRequest.message, /^Quota limit 4 for instances must be greater than or equal to already used and reserved ([5-9]|10)\.$/);
    t.like((await call('GET', `/os-quota-sets/${project}`, c.admin, '2.57')).body.quota_set, { instances: 20 });
  }
});

test('hostile input to the quota routes is a 400 in Nova’s fault body, never a 5xx', async (t) => {
  const demo = await projectId('demo');
  const cases: Array<[string, string, unknown]> = [
    ['PUT', `/os-quota-sets/${demo}`, { quota_set: { instances: '1'.repeat(400) } }],
    ['PUT', `/os-quota-sets/${demo}`, { quota_set: { instances: 1e300 } }],
    ['PUT', `/os-quota-sets/${demo}`, { quota_set: { instances: [1] } }],
    ['PUT', `/os-quota-sets/${demo}`, { quota_set: 'all' }],
    ['PUT', `/os-quota-sets/${demo}`, { quota_set: { force: 'maybe' } }],
    ['PUT', `/os-quota-sets/${demo}?user_id=${'u'.repeat(300)}`, { quota_set: { instances: 1 } }],
    ['GET', `/os-quota-sets/${demo}/detail?user_id=${'u'.repeat(300)}`, undefined],
    ['PUT', '/os-quota-class-sets/default', { quota_class_set: [] }],
    ['PUT', '/os-quota-class-sets/default', { quota_class_set: { cores: '-1x' } }],
    ['PUT', '/os-quota-class-sets/default', null],
  ];
  for (const [method, path, body] of cases) {
    const r = await call(method, path, c.admin, '2.57', body);
    t.is(r.status, 400, `${method} ${path.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 60)}`);
    t.is(r.body.badRequest?.code, 400);
    t.is(typeof r.body.badRequest?.message, 'string');
  }
  t.deepEqual((await call('GET', `/os-quota-sets/${demo}`, c.admin, '2.57')).body.quota_set.instances, 10, 'nothing was written');
});

test.serial('20 concurrent boots by a user held to 5 instances of a project’s 10 give exactly 5 servers', async (t) => {
  const project = await newProject('per-user-race');
  const racer = await userWithRole(c, 'q-racer', 'member', 'per-user-race');
  t.is((await call('PUT', `/os-quota-sets/${project}`, c.admin, '2.57', { quota_set: { instances: 10 } })).status, 200);
  t.is((await call('PUT', `/os-quota-sets/${project}?user_id=${racer.id}`, c.admin, '2.57', { quota_set: { instances: 5 } })).status, 200);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => boot(c.nova, racer.token, `ur-${i}`)));
  const statuses = answers.map((r) => r.status);
  t.is(statuses.filter((s) => s === 202).length, 5, JSON.stringify(statuses));
  for (const r of answers.filter((a) => a.status !== 202)) {
    t.deepEqual(r.body, { forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 5 of 5 instances' } });
  }
  t.is((await c.nova.call('GET', '/v2.1/servers', { token: racer.token })).body.servers.length, 5);
});
