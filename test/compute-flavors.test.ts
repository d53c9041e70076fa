import test from 'ava';
import { boot, settled, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { idsOf, userWithRole } from './helpers/compute-users.js';
import { novaRefused } from './helpers/refusals.js';

// Flavor management, extra specs and access through the Compute API, as Nova 26 answers them.
let c: ComputeCloud;
let reader: { token: string };
let demoProject: string;

test.before(async () => {
  c = await startComputeCloud('compute-flavors', { libvirt: { simulatedHosts: 1 } });
  reader = await userWithRole(c, 'viewer', 'reader', 'demo');
  demoProject = (await idsOf(c, 'demo', 'demo')).projectId;
});
test.after.always(async () => {
  await c?.stop();
});

const at = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });
const call = (method: string, path: string, token: string, body?: unknown, version = '2.1') =>
  c.nova.call(method, `/v2.1${path}`, { token, body, headers: at(version) });
const create = (flavor: Record<string, unknown>, version = '2.1', token = c.admin) => call('POST', '/flavors', token, { flavor }, version);
const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;

test.serial("admins create flavors with an integer id, a string id or none (a generated UUID), in Nova's shape", async (t) => {
  const numbered = await create({ name: 'f.int', ram: 256, vcpus: 1, disk: 2, id: 101, 'OS-FLV-EXT-DATA:ephemeral': 1, swap: 128, rxtx_factor: 2.5 });
  t.is(numbered.status, 200);
  t.deepEqual(Object.keys(numbered.body.flavor).sort(), [
    'OS-FLV-DISABLED:disabled',
    'OS-FLV-EXT-DATA:ephemeral',
    'disk',
    'id',
    'links',
    'name',
    'os-flavor-access:is_public',
    'ram',
    'rxtx_factor',
    'swap',
    'vcpus',
  ]);
  t.like(numbered.body.flavor, {
    id: '101',
    name: 'f.int',
    ram: 256,
    vcpus: 1,
    disk: 2,
    'OS-FLV-EXT-DATA:ephemeral': 1,
    swap: 128,
    rxtx_factor: 2.5,
    'os-flavor-access:is_public': true,
    'OS-FLV-DISABLED:disabled': false,
  });
  t.regex(numbered.body.flavor.links[0].href, /\/v2\.1\/flavors\/101$/);
  const named = await create({ name: 'f.str', ram: '128', vcpus: '1', disk: '0', id: 'my-flavor' });
  t.like(named.body.flavor, { id: 'my-flavor', ram: 128, swap: '', rxtx_factor: 1 });
  const generated = await create({ name: ' f.gen', ram: 64, vcpus: 1, disk: 0 });
  t.is(generated.status, 400, 'leading whitespace is refused from 2.1');
  t.is(message(generated), "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
  const uuid = await create({ name: 'f.gen', ram: 64, vcpus: 1, disk: 0, id: null });
  t.regex(uuid.body.flavor.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const shown = await call('GET', `/flavors/${uuid.body.flavor.id}`, c.demo);
  t.is(shown.body.flavor.name, 'f.gen');
});

test.serial("names and ids are unique (409), bodies are checked in Nova's words (400), only admins manage flavors (403)", async (t) => {
  const sameName = await create({ name: 'f.int', ram: 64, vcpus: 1, disk: 0 });
  t.deepEqual(sameName.body, { conflictingRequest: { code: 409, message: 'Flavor with name f.int already exists.' } });
  const sameId = await create({ name: 'other', ram: 64, vcpus: 1, disk: 0, id: '101' });
  t.deepEqual(sameId.body, { conflictingRequest: { code: 409, message: 'Flavor with ID 101 already exists.' } });
  const missing = await create({ name: 'x', vcpus: 1, disk: 0 });
  t.is(missing.status, 400);
  t.is(message(missing), "Invalid input for field/attribute flavor. Value: {'name': 'x', 'vcpus': 1, 'disk': 0}. 'ram' is a required property");
  t.is(
    message(await create({ name: 'x', ram: 0, vcpus: 1, disk: 0 })),
    'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
  );
  t.is(
    message(await create({ name: 'x', ram: 'lots', vcpus: 1, disk: 0 })),
    "Invalid input for field/attribute ram. Value: lots. 'lots' does not match '^[0-9]+$'",
  );
  t.is(
    message(await create({ name: 'x', ram: 1.5, vcpus: 1, disk: 0 })),
    "Invalid input for field/attribute ram. Value: 1.5. 1.5 is not of type 'integer', 'string'",
  );
  t.is(
    message(await create({ name: 'x', ram: 64, vcpus: 1, disk: -1 })),
    'Invalid input for field/attribute disk. Value: -1. -1 is less than the minimum of 0',
  );
  t.is(
    message(await create({ name: 'x', ram: 64, vcpus: 1, disk: 0, id: 'a/b' })),
    "Invalid input for field/attribute id. Value: a/b. 'a/b' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'",
  );
  t.is(
    message(await create({ name: 'x', ram: 64, vcpus: 1, disk: 0, rxtx_factor: 0 })),
    'Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to the minimum of 0',
  );
  t.is(
    message(await create({ name: 'x', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': 'maybe' }))!.slice(0, 80),
    "Invalid input for field/attribute os-flavor-access:is_public. Value: maybe. 'maybe' is not one of [True, ".slice(0, 80),
  );
  t.is(
    message(await create({ name: 'x', ram: 64, vcpus: 1, disk: 0, colour: 'red' })),
    "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 64, 'vcpus': 1, 'disk': 0, 'colour': 'red'}. Additional properties are not allowed ('colour' was unexpected)",
  );
  const noBody = await call('POST', '/flavors', c.admin, { flavour: {} });
  t.is(message(noBody), "'flavor' is a required property", "jsonschema reports required before additionalProperties, as Nova's schema orders them");
  const member = await create({ name: 'mine', ram: 64, vcpus: 1, disk: 0 }, '2.1', c.demo);
  t.deepEqual(member.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed." } });
  novaRefused(
    t,
    await create({ name: 'mine', ram: 64, vcpus: 1, disk: 0 }, '2.1', reader.token),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
  );
  novaRefused(t, await call('DELETE', '/flavors/101', c.demo), 403, "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.");
  novaRefused(
    t,
    await call('DELETE', '/flavors/101', reader.token),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.",
  );
  const list = await call('GET', '/flavors', c.admin);
  t.false(
    list.body.flavors.some((f: any) => ['x', 'mine', 'other'].includes(f.name)),
    'no refused create left a flavor behind',
  );
});

test.serial('descriptions come at 2.55, updatable by PUT; extra_specs show in flavor bodies from 2.61; swap is 0 from 2.75', async (t) => {
  const early = await create({ name: 'd.early', ram: 64, vcpus: 1, disk: 0, description: 'x' }, '2.54');
  t.is(
    message(early),
    "Invalid input for field/attribute flavor. Value: {'name': 'd.early', 'ram': 64, 'vcpus': 1, 'disk': 0, 'description': 'x'}. Additional properties are not allowed ('description' was unexpected)",
  );
  const made = await create({ name: 'd.desc', ram: 64, vcpus: 1, disk: 0, id: 'described', description: 'small and cheap' }, '2.55');
  t.is(made.status, 200);
  t.is(made.body.flavor.description, 'small and cheap');
  t.false('extra_specs' in made.body.flavor);
  t.is((await call('GET', '/flavors/described', c.demo, undefined, '2.54')).body.flavor.description, undefined);
  const summary = await call('GET', '/flavors', c.demo, undefined, '2.55');
  t.is(summary.body.flavors.find((f: any) => f.id === 'described').description, 'small and cheap');
  t.is(summary.body.flavors.find((f: any) => f.id === '1').description, null);

  const before = await call('PUT', '/flavors/described', c.admin, { flavor: { description: 'new' } }, '2.54');
  t.deepEqual(before.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  const updated = await call('PUT', '/flavors/described', c.admin, { flavor: { description: 'new' } }, '2.55');
  t.is(updated.status, 200);
  t.is(updated.body.flavor.description, 'new');
  novaRefused(
    t,
    await call('PUT', '/flavors/described', c.demo, { flavor: { description: 'mine' } }, '2.55'),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-manage:update to be performed.",
  );
  t.is(
    message(await call('PUT', '/flavors/described', c.admin, { flavor: { name: 'renamed' } }, '2.55')),
    "Invalid input for field/attribute flavor. Value: {'name': 'renamed'}. 'description' is a required property",
  );
  t.is(
    message(await call('PUT', '/flavors/described', c.admin, { flavor: { description: 'd', name: 'renamed' } }, '2.55')),
    "Invalid input for field/attribute flavor. Value: {'description': 'd', 'name': 'renamed'}. Additional properties are not allowed ('name' was unexpected)",
  );
  novaRefused(t, await call('PUT', '/flavors/nope', c.admin, { flavor: { description: null } }, '2.55'), 404, 'Flavor nope could not be found.');
  t.is((await call('GET', '/flavors/described', c.demo, undefined, '2.55')).body.flavor.description, 'new');

  const withSpecs = await create({ name: 'd.specs', ram: 64, vcpus: 1, disk: 0, id: 'specced' }, '2.61');
  t.deepEqual(withSpecs.body.flavor.extra_specs, {});
  t.is(
    (await call('POST', '/flavors/specced/os-extra_specs', c.admin, { extra_specs: { 'hw:cpu_policy': 'dedicated', color: 'blue' } })).status,
    200,
  );
  t.deepEqual((await call('GET', '/flavors/specced', c.demo, undefined, '2.61')).body.flavor.extra_specs, {
    color: 'blue',
    'hw:cpu_policy': 'dedicated',
  });
  t.false('extra_specs' in (await call('GET', '/flavors/specced', c.demo, undefined, '2.60')).body.flavor);
  const detail = await call('GET', '/flavors/detail', reader.token, undefined, '2.61');
  t.deepEqual(detail.body.flavors.find((f: any) => f.id === 'specced').extra_specs, { color: 'blue', 'hw:cpu_policy': 'dedicated' });
  t.deepEqual(detail.body.flavors.find((f: any) => f.id === '1').extra_specs, {});
  t.is((await call('GET', '/flavors/1', c.demo, undefined, '2.74')).body.flavor.swap, '');
  t.is((await call('GET', '/flavors/1', c.demo, undefined, '2.75')).body.flavor.swap, 0);
});

test.serial('lists filter by is_public (admins only), minRam and minDisk, sort by sort_key/sort_dir and page with flavors_links', async (t) => {
  await create({ name: 'p.private', ram: 96, vcpus: 1, disk: 0, id: 'private-1', 'os-flavor-access:is_public': false });
  const names = async (query: string, token = c.admin, version = '2.1') =>
    (await call('GET', `/flavors${query}`, token, undefined, version)).body.flavors.map((f: any) => f.id);
  t.false((await names('')).includes('private-1'));
  t.deepEqual(await names('?is_public=false'), ['private-1']);
  t.true((await names('?is_public=None')).includes('private-1'));
  t.true((await names('?is_public=none')).includes('1'));
  t.false((await names('?is_public=false', c.demo)).includes('private-1'), 'non-admins always see public flavors only');
  t.true((await names('?is_public=false', c.demo)).includes('1'));
  const bad = await call('GET', '/flavors?is_public=perhaps', c.admin);
  t.deepEqual(bad.body, { badRequest: { code: 400, message: 'Invalid is_public filter [perhaps]' } });
  t.deepEqual(await names('?minRam=4096'), ['3', '4', '5']);
  t.deepEqual(await names('?minDisk=80'), ['4', '5']);
  t.is(message(await call('GET', '/flavors?minRam=big', c.admin)), 'Invalid minRam filter [big]');
  t.is(message(await call('GET', '/flavors?minDisk=1.5', c.admin)), 'Invalid minDisk filter [1.5]');
  t.deepEqual(await names('?minRam=2048&sort_key=memory_mb&sort_dir=desc'), ['5', '4', '3', '2']);
  t.deepEqual(await names('?minDisk=20&sort_key=name'), ['4', '3', '2', '5']);
  const sortKey = await call('GET', '/flavors?sort_key=colour', c.admin);
  t.is(sortKey.status, 400);
  t.regex(message(sortKey)!, /^Invalid input for query parameters sort_key\. Value: colour\. 'colour' is not one of \['created_at', 'description'/);
  t.is(
    message(await call('GET', '/flavors?sort_dir=up', c.admin)),
    "Invalid input for query parameters sort_dir. Value: up. 'up' is not one of ['asc', 'desc']",
  );
  t.is(
    message(await call('GET', '/flavors?limit=-1', c.admin)),
    "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
  );
  t.is((await call('GET', '/flavors?colour=red', c.admin, undefined, '2.74')).status, 200);
  t.is(
    message(await call('GET', '/flavors?colour=red', c.admin, undefined, '2.75')),
    "Additional properties are not allowed ('colour' was unexpected)",
  );

  const page = await call('GET', '/flavors/detail?limit=2&minRam=1024', c.demo);
  t.deepEqual(
    page.body.flavors.map((f: any) => f.id),
    ['2', '3'],
  );
  t.is(page.body.flavors_links.length, 1);
  t.is(page.body.flavors_links[0].rel, 'next');
  const next = new URL(page.body.flavors_links[0].href);
  t.regex(next.pathname, /\/v2\.1\/flavors\/detail$/);
  t.deepEqual(Object.fromEntries(next.searchParams), { limit: '2', marker: '3', minRam: '1024' });
  const rest = await call('GET', `/flavors/detail${next.search}`, c.demo);
  t.deepEqual(
    rest.body.flavors.map((f: any) => f.id),
    ['4', '5'],
  );
  const last = await call('GET', `/flavors/detail?limit=2&minRam=1024&marker=5`, c.demo);
  t.deepEqual(last.body, { flavors: [] });
  t.deepEqual((await call('GET', '/flavors?marker=nope', c.demo)).body, { badRequest: { code: 400, message: 'marker [nope] not found' } });
  t.is(message(await call('GET', '/flavors?marker=private-1', c.demo)), 'marker [private-1] not found', 'a private flavor is no marker for others');
});

test.serial('a private flavor is invisible and unbootable for projects without access, until an admin grants it', async (t) => {
  await create({ name: 'a.private', ram: 128, vcpus: 1, disk: 1, id: 'private-2', 'os-flavor-access:is_public': false });
  t.deepEqual((await call('GET', '/flavors/private-2', c.demo)).body, {
    itemNotFound: { code: 404, message: 'Flavor private-2 could not be found.' },
  });
  novaRefused(t, await call('GET', '/flavors/private-2/os-extra_specs', c.demo), 404, 'Flavor private-2 could not be found.');
  t.false((await call('GET', '/flavors', c.demo)).body.flavors.some((f: any) => f.id === 'private-2'));
  const refused = await boot(c.nova, c.demo, 'no-access', { flavorRef: 'private-2' });
  // Nova 26's create answers the FlavorNotFound it caught, in its own words.
  t.deepEqual(refused.body, { badRequest: { code: 400, message: 'Flavor private-2 could not be found.' } });

  t.deepEqual((await call('GET', '/flavors/private-2/os-flavor-access', c.admin)).body, { flavor_access: [] });
  novaRefused(
    t,
    await call('GET', '/flavors/private-2/os-flavor-access', c.demo),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-access to be performed.",
  );
  t.deepEqual((await call('GET', '/flavors/1/os-flavor-access', c.admin)).body, {
    itemNotFound: { code: 404, message: 'Access list not available for public flavors.' },
  });
  const grant = (token: string, tenant: string, version = '2.1', id = 'private-2') =>
    call('POST', `/flavors/${id}/action`, token, { addTenantAccess: { tenant } }, version);
  t.deepEqual((await grant(c.demo, demoProject)).body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-flavor-access:add_tenant_access to be performed." },
  });
  t.deepEqual((await grant(c.admin, 'no-such-project')).body, {
    badRequest: { code: 400, message: 'Project ID no-such-project is not a valid project.' },
  });
  const granted = await grant(c.admin, demoProject);
  t.is(granted.status, 200);
  t.deepEqual(granted.body, { flavor_access: [{ flavor_id: 'private-2', tenant_id: demoProject }] });
  t.deepEqual((await grant(c.admin, demoProject)).body, {
    conflictingRequest: { code: 409, message: `Flavor access already exists for flavor private-2 and project ${demoProject} combination.` },
  });
  t.deepEqual((await grant(c.admin, demoProject, '2.7', '1')).body, {
    conflictingRequest: { code: 409, message: 'Can not add access to a public flavor.' },
  });
  t.is(
    message(await call('POST', '/flavors/private-2/action', c.admin, { addTenantAccess: {} })),
    "Invalid input for field/attribute addTenantAccess. Value: {}. 'tenant' is a required property",
  );
  t.deepEqual((await call('POST', '/flavors/private-2/action', c.admin, { shareWith: { tenant: 'x' } })).body, {
    badRequest: { code: 400, message: 'There is no such action: shareWith' },
  });

  t.is((await call('GET', '/flavors/private-2', c.demo)).body.flavor.id, 'private-2');
  t.true((await call('GET', '/flavors', c.demo)).body.flavors.some((f: any) => f.id === 'private-2'));
  t.true(
    (await call('GET', '/flavors?is_public=true', c.admin)).body.flavors.every((f: any) => f.id !== 'private-2'),
    'the admin project was not given it',
  );
  const booted = await boot(c.nova, c.demo, 'with-access', { flavorRef: 'private-2' });
  t.is(booted.status, 202);

  const revoke = (tenant: string) => call('POST', '/flavors/private-2/action', c.admin, { removeTenantAccess: { tenant } });
  t.deepEqual((await revoke(demoProject)).body, { flavor_access: [] });
  t.deepEqual((await revoke(demoProject)).body, {
    itemNotFound: { code: 404, message: `Flavor access not found for private-2 / ${demoProject} combination.` },
  });
  novaRefused(t, await call('GET', '/flavors/private-2', c.demo), 404, 'Flavor private-2 could not be found.');
  const servers = await settled(c.nova, c.admin);
  t.is(servers.find((s) => s.name === 'with-access')?.status, 'ACTIVE', 'a server keeps running when its flavor is taken away');
});

test.serial('extra specs: readers read, admins set, update and unset; keys and values are checked as Nova does', async (t) => {
  await create({ name: 'e.specs', ram: 64, vcpus: 1, disk: 0, id: 'extras' });
  const specs = '/flavors/extras/os-extra_specs';
  const set = await call('POST', specs, c.admin, { extra_specs: { 'hw:numa_nodes': 2, 'quota:cpu_quota': '100' } });
  t.deepEqual(
    set.body,
    { extra_specs: { 'hw:numa_nodes': '2', 'quota:cpu_quota': '100' } },
    'numbers come back as the text stored, as Tempest expects',
  );
  t.deepEqual((await call('GET', specs, reader.token)).body, { extra_specs: { 'hw:numa_nodes': '2', 'quota:cpu_quota': '100' } });
  t.deepEqual((await call('GET', `${specs}/hw:numa_nodes`, c.demo)).body, { 'hw:numa_nodes': '2' });
  t.deepEqual((await call('GET', `${specs}/nothing`, c.demo)).body, {
    itemNotFound: { code: 404, message: 'Flavor extras has no extra specs with key nothing.' },
  });
  const put = await call('PUT', `${specs}/hw:numa_nodes`, c.admin, { 'hw:numa_nodes': '4' });
  t.deepEqual(put.body, { 'hw:numa_nodes': '4' });
  t.deepEqual((await call('PUT', `${specs}/hw:numa_nodes`, c.admin, { 'hw:cpu_policy': 'shared' })).body, {
    badRequest: { code: 400, message: 'Request body and URI mismatch' },
  });
  t.is(message(await call('PUT', `${specs}/a`, c.admin, { a: '1', b: '2' })), "{'a': '1', 'b': '2'} has too many properties");
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'bad/key': 'x' } })),
    "Invalid input for field/attribute extra_specs. Value: {'bad/key': 'x'}. 'bad/key' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { long: 'x'.repeat(256) } })),
    `Invalid input for field/attribute long. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`,
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { flag: true } })),
    "Invalid input for field/attribute flag. Value: True. True is not of type 'string', 'number'",
  );

  // Values are checked from 2.86 on: a known key's value, and unknown keys in Nova's namespaces.
  t.is((await call('POST', specs, c.admin, { extra_specs: { 'hw:cpu_policy': 'sometimes' } }, '2.85')).status, 200);
  t.deepEqual((await call('POST', specs, c.admin, { extra_specs: { 'hw:cpu_policy': 'sometimes' } }, '2.86')).body, {
    badRequest: { code: 400, message: "Validation failed; 'sometimes' is not one of: dedicated, shared, mixed." },
  });
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'hw:numa_nodes': '0' } }, '2.86')),
    "Validation failed; '0' is less than the min value of '1'.",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'hw:numa_nodes': 'two' } }, '2.86')),
    "Validation failed; 'two' is not a valid integer value.",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'hw:boot_menu': 'sure' } }, '2.86')),
    "Validation failed; 'sure' is not a valid boolean-like value.",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'hw:mem_page_size': 'huge' } }, '2.86')),
    "Validation failed; 'huge' is not of the format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'.",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'hw:no_such_thing': '1' } }, '2.86')),
    "Validation failed; extra spec 'hw:no_such_thing' does not appear to be a valid extra spec.",
  );
  t.is(
    message(await call('POST', specs, c.admin, { extra_specs: { 'trait:NOT_A_TRAIT': 'required' } }, '2.86')),
    "Validation failed; extra spec 'trait:NOT_A_TRAIT' does not appear to be a valid extra spec.",
  );
  const good = await call(
    'POST',
    specs,
    c.admin,
    {
      extra_specs: {
        'hw:cpu_policy': 'dedicated',
        'resources:VCPU': '2',
        'resources1:CUSTOM_GPU': '1',
        'trait:HW_CPU_X86_AVX2': 'required',
        'trait:CUSTOM_FAST': 'forbidden',
        'aggregate_instance_extra_specs:ssd': 'true',
        'mine:anything': 'goes',
        plain: 'too',
      },
    },
    '2.86',
  );
  t.is(good.status, 200, JSON.stringify(good.body));

  novaRefused(
    t,
    await call('POST', specs, c.demo, { extra_specs: { a: 'b' } }),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.",
  );
  novaRefused(
    t,
    await call('POST', specs, reader.token, { extra_specs: { a: 'b' } }),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.",
  );
  novaRefused(
    t,
    await call('PUT', `${specs}/a`, c.demo, { a: 'b' }),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-extra-specs:update to be performed.",
  );
  novaRefused(
    t,
    await call('DELETE', `${specs}/plain`, reader.token),
    403,
    "Policy doesn't allow os_compute_api:os-flavor-extra-specs:delete to be performed.",
  );
  const removed = await call('DELETE', `${specs}/plain`, c.admin);
  t.is(removed.status, 200);
  t.is(removed.body, undefined);
  novaRefused(t, await call('DELETE', `${specs}/plain`, c.admin), 404, 'Flavor extras has no extra specs with key plain.');
  novaRefused(t, await call('POST', '/flavors/nope/os-extra_specs', c.admin, { extra_specs: { a: 'b' } }), 404, 'Flavor nope could not be found.');
  const kept = (await call('GET', specs, c.demo)).body.extra_specs;
  t.is(kept['hw:cpu_policy'], 'dedicated');
  t.false('plain' in kept);
});

test.serial('deleting a flavor (202) hides it, keeps servers booted from it whole, and frees its id and name', async (t) => {
  await create({ name: 'z.doomed', ram: 128, vcpus: 1, disk: 1, id: 'doomed' });
  // Scoped: an unscoped key would have to match aggregate metadata (AggregateInstanceExtraSpecsFilter) for the boot to find a host.
  await call('POST', '/flavors/doomed/os-extra_specs', c.admin, { extra_specs: { 'quota:cpu_shares': '100' } });
  const booted = await boot(c.nova, c.demo, 'on-doomed', { flavorRef: 'doomed' });
  t.is(booted.status, 202);
  await settled(c.nova, c.admin);
  const gone = await call('DELETE', '/flavors/doomed', c.admin);
  t.is(gone.status, 202);
  t.deepEqual((await call('DELETE', '/flavors/doomed', c.admin)).body, { itemNotFound: { code: 404, message: 'Flavor doomed could not be found.' } });
  novaRefused(t, await call('GET', '/flavors/doomed', c.admin), 404, 'Flavor doomed could not be found.');
  t.false((await call('GET', '/flavors?is_public=none', c.admin)).body.flavors.some((f: any) => f.id === 'doomed'));
  const old = await call('GET', `/servers/${booted.body.server.id}`, c.demo);
  t.is(old.status, 200);
  t.like(old.body.server, { status: 'ACTIVE', flavor: { id: 'doomed' } });
  const embedded = await call('GET', `/servers/${booted.body.server.id}`, c.demo, undefined, '2.47');
  t.like(embedded.body.server.flavor, { original_name: 'z.doomed', ram: 128, vcpus: 1, disk: 1 });
  novaRefused(t, await boot(c.nova, c.demo, 'late', { flavorRef: 'doomed' }), 400, 'Flavor doomed could not be found.');
  const again = await create({ name: 'z.doomed', ram: 256, vcpus: 2, disk: 1, id: 'doomed' }, '2.61');
  t.is(again.status, 200);
  t.like(again.body.flavor, { id: 'doomed', ram: 256 });
  t.deepEqual((await call('GET', '/flavors/doomed/os-extra_specs', c.admin)).body, { extra_specs: {} });
});
