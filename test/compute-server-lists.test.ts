import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { at, boot, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// GET /servers and /servers/detail: Nova's filters (who may use which, from which version),
// sorting and paging. The clock is simulated so each server's times are known.
const clock = new SimulatedClock(Date.UTC(2026, 10, 25, 12));
let c: ComputeCloud;
const ids: Record<string, string> = {};
let beforeGamma: string;
let afterAll: string;

const names = (r: { body: any }) => (r.body.servers ?? []).map((s: any) => s.name);
const sorted = (r: { body: any }) => names(r).sort();
const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message;
const list = (query: string, token = c.demo, version = '2.93', path = 'servers/detail') =>
  c.nova.call('GET', `/v2.1/${path}${query ? `?${query}` : ''}`, { token, headers: at(version) });

test.before(async () => {
  c = await startComputeCloud('compute-server-lists', { libvirt: { simulatedHosts: 2 } }, clock);
  const make = async (name: string, extra: Record<string, unknown>, token = c.demo) => {
    await clock.advance(1000);
    const r = await boot(c.nova, token, name, { networks: 'none', ...extra }, at('2.93'));
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
    ids[name] = r.body.server.id;
  };
  await make('alpha', { tags: ['red', 'blue'], description: 'first one' });
  await make('beta', { tags: ['red'], flavorRef: '2' });
  await clock.advance(1000);
  beforeGamma = new Date(clock.now()).toISOString();
  await make('gamma', { hostname: 'gamma-host' });
  await make('Delta', { availability_zone: 'nova' });
  await make('other', {}, c.admin);
  await eventually(async () => (await list('all_tenants=1', c.admin)).body.servers.every((s: any) => s.status === 'ACTIVE'));
  // Delta is stopped and beta deleted, through the API.
  await clock.advance(1000);
  const stop = await c.nova.call('POST', `/v2.1/servers/${ids.Delta}/action`, { token: c.demo, body: { 'os-stop': null } });
  if (stop.status !== 202) throw new Error(`stop answered ${stop.status}: ${JSON.stringify(stop.body)}`);
  await eventually(async () => {
    const delta = (await c.nova.call('GET', `/v2.1/servers/${ids.Delta}`, { token: c.demo })).body.server;
    return delta.status === 'SHUTOFF' && delta['OS-EXT-STS:task_state'] === null;
  });
  await clock.advance(1000);
  await c.nova.call('DELETE', `/v2.1/servers/${ids.beta}`, { token: c.demo });
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${ids.beta}`, { token: c.demo })).status === 404);
  await clock.advance(1000);
  afterAll = new Date(clock.now()).toISOString();
});
test.after.always(async () => {
  await c?.stop();
});

test('by default a project lists its own live servers, newest first', async (t) => {
  t.deepEqual(names(await list('')), ['Delta', 'gamma', 'alpha']);
  t.deepEqual(names(await list('', c.demo, '2.1', 'servers')), ['Delta', 'gamma', 'alpha']);
  t.deepEqual(names(await list('', c.admin)), ['other']);
});

test('name is a case-insensitive regular expression; an invalid one is refused', async (t) => {
  t.deepEqual(sorted(await list('name=^[ag]')), ['alpha', 'gamma']);
  t.deepEqual(names(await list('name=DELTA')), ['Delta']);
  t.deepEqual(names(await list('name=a|b')), [], "'|' is literal, as Nova makes it for MySQL");
  t.is(message(await list('name=[')), "Invalid input for query parameters name. Value: [. '[' is not a 'regex'");
});

test('status maps to Nova’s states; an unknown one is an empty list before 2.38 and a 400 from it', async (t) => {
  t.deepEqual(sorted(await list('status=ACTIVE')), ['alpha', 'gamma']);
  t.deepEqual(names(await list('status=shutoff')), ['Delta']);
  t.deepEqual(sorted(await list('status=ACTIVE&status=SHUTOFF')), ['Delta', 'alpha', 'gamma']);
  t.deepEqual((await list('status=bogus', c.demo, '2.37')).body, { servers: [] });
  t.is(message(await list('status=bogus', c.demo, '2.38')), 'Invalid status value');
  const deleted = await list('status=DELETED');
  t.deepEqual(deleted.body, { forbidden: { code: 403, message: 'Only administrators may list deleted instances' } });
  t.deepEqual(names(await list('status=DELETED&all_tenants=1', c.admin)), ['beta']);
});

test('flavor, image and reservation_id filter; an unknown flavor matches nothing; ip never matches (no ports yet)', async (t) => {
  t.deepEqual(names(await list('flavor=1&changes-since=2026-01-01T00:00:00Z')).sort(), ['Delta', 'alpha', 'gamma']);
  t.deepEqual(names(await list('flavor=2&changes-since=2026-01-01T00:00:00Z')), ['beta']);
  t.deepEqual(names(await list('flavor=999')), []);
  t.deepEqual(names(await list(`image=${TINY_IMAGE_ID}`)).length, 3);
  t.deepEqual(names(await list('image=00000000-0000-4000-8000-000000000000')), []);
  const alpha = (await list('all_tenants=1&name=alpha', c.admin, '2.3')).body.servers[0];
  t.deepEqual(names(await list(`reservation_id=${alpha['OS-EXT-SRV-ATTR:reservation_id']}`)), ['alpha']);
  t.deepEqual(names(await list('ip=10.0.0.1')), []);
  t.deepEqual(names(await list('ip6=2001:db8::1', c.demo, '2.4')).length, 3, 'before 2.5 ip6 is dropped for non-admins');
  t.deepEqual(names(await list('ip6=2001:db8::1', c.demo, '2.5')), []);
});

test('admin-only filters are dropped for everyone else: host, node, deleted, display_description, uuid', async (t) => {
  const host = (await list(`name=gamma&all_tenants=1`, c.admin)).body.servers[0]['OS-EXT-SRV-ATTR:host'];
  t.deepEqual(names(await list(`host=${host}&name=gamma&all_tenants=1`, c.admin)), ['gamma']);
  t.deepEqual(names(await list(`host=nowhere&all_tenants=1`, c.admin)), []);
  t.deepEqual(names(await list('host=nowhere')).length, 3, 'a member’s host filter is dropped');
  t.deepEqual(names(await list('node=nowhere&all_tenants=1', c.admin)), []);
  t.deepEqual(names(await list('deleted=true&all_tenants=1', c.admin)), ['beta']);
  t.deepEqual(names(await list('deleted=true')).length, 3);
  t.deepEqual(names(await list('display_description=^first&all_tenants=1', c.admin)), ['alpha']);
  t.deepEqual(names(await list(`uuid=${ids.gamma}&all_tenants=1`, c.admin)), ['gamma']);
  t.deepEqual(names(await list(`uuid=${ids.gamma}`)).length, 3);
  t.deepEqual(
    names(await list('description=nothing-matches&all_tenants=1', c.admin)).length,
    4,
    "Nova's description filter names no column, so its database layer applies nothing",
  );
});

test('all_tenants shows every project to admins (narrowed by project_id or tenant_id) and is refused to others', async (t) => {
  const demoProject = (await list('name=alpha', c.demo)).body.servers[0].tenant_id;
  t.deepEqual(sorted(await list('all_tenants=1', c.admin)), ['Delta', 'alpha', 'gamma', 'other']);
  t.deepEqual(sorted(await list('all_tenants', c.admin)), ['Delta', 'alpha', 'gamma', 'other'], 'present and empty means yes');
  t.deepEqual(sorted(await list(`all_tenants=true&project_id=${demoProject}`, c.admin)), ['Delta', 'alpha', 'gamma']);
  t.deepEqual(sorted(await list(`all_tenants=1&tenant_id=${demoProject}`, c.admin)), ['Delta', 'alpha', 'gamma']);
  t.deepEqual(names(await list(`project_id=${demoProject}`, c.admin)), ['other'], 'without all_tenants an admin sees its own project');
  t.deepEqual(names(await list('all_tenants=0', c.admin)), ['other']);
  t.is(
    message(await list('all_tenants=maybe', c.admin)),
    "Invalid input received: Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
  );
  t.is(
    message(await list('all_tenants=1', c.demo, '2.93', 'servers')),
    "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.",
  );
  t.is(message(await list('all_tenants=1', c.demo)), "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.");
});

test('tags, tags-any, not-tags and not-tags-any from 2.26', async (t) => {
  const since = 'changes-since=2026-01-01T00:00:00Z';
  t.deepEqual(sorted(await list(`tags=red&${since}`)), ['alpha', 'beta']);
  t.deepEqual(names(await list('tags=red,blue')), ['alpha']);
  t.deepEqual(names(await list('tags-any=blue,green')), ['alpha']);
  t.deepEqual(sorted(await list('not-tags=red,blue')), ['Delta', 'gamma']);
  t.deepEqual(sorted(await list(`not-tags-any=red&${since}`)), ['Delta', 'gamma']);
  t.deepEqual(names(await list('tags=red', c.demo, '2.25')).length, 3, 'before 2.26 the tag filters are unknown, so dropped');
  t.is(message(await list('tags=(')), "Invalid input for query parameters tags. Value: (. '(' is not a 'regex'");
});

test('changes-since lists deleted servers too; changes-before from 2.66; locked from 2.73', async (t) => {
  t.deepEqual(sorted(await list(`changes-since=${beforeGamma}`)), ['Delta', 'beta', 'gamma'], 'beta is deleted and still listed');
  t.like(
    (await list(`changes-since=${beforeGamma}`)).body.servers.find((s: any) => s.name === 'beta'),
    { status: 'DELETED' },
  );
  t.deepEqual(names(await list(`changes-since=${afterAll}`)), []);
  t.deepEqual(sorted(await list(`changes-since=${beforeGamma}&deleted=false&all_tenants=1`, c.admin)), ['Delta', 'gamma', 'other']);
  t.is(
    message(await list('changes-since=yesterday')),
    "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
  );
  t.deepEqual(names(await list(`changes-before=${beforeGamma}`, c.demo, '2.66')), ['alpha'], 'beta changed since (deleted)');
  t.deepEqual(names(await list(`changes-before=${beforeGamma}`, c.demo, '2.65')).length, 3, 'before 2.66 it is dropped');
  t.is(
    message(await list(`changes-since=${afterAll}&changes-before=${beforeGamma}`, c.demo, '2.66')),
    'The value of changes-since must be less than or equal to changes-before.',
  );
  t.deepEqual(names(await list('locked=false', c.demo, '2.73')).length, 3);
  t.deepEqual(names(await list('locked=true', c.demo, '2.73')), []);
  t.deepEqual(names(await list('locked=true', c.demo, '2.72')).length, 3, 'before 2.73 it is dropped');
  t.regex(message(await list('locked=maybe', c.demo, '2.73'))!, /^Invalid input received: Unrecognized value 'maybe'/);
});

test('from 2.83 members filter on availability_zone, key_name, user_id, vm_state…; from 2.90 on hostname', async (t) => {
  const user = (await list('name=alpha')).body.servers[0].user_id;
  t.deepEqual(names(await list('availability_zone=elsewhere', c.demo, '2.83')), []);
  t.deepEqual(names(await list('availability_zone=elsewhere', c.demo, '2.82')).length, 3);
  t.deepEqual(names(await list('availability_zone=^nov', c.demo, '2.83')).length, 3);
  t.deepEqual(names(await list(`user_id=${user}`, c.demo, '2.83')).length, 3);
  t.deepEqual(names(await list('user_id=someone-else', c.demo, '2.83')), []);
  t.deepEqual(names(await list('vm_state=stopped', c.demo, '2.83')), ['Delta']);
  t.deepEqual(names(await list('key_name=k', c.demo, '2.83')), [], 'no server has a key');
  t.deepEqual(names(await list('hostname=gamma-h', c.demo, '2.90')), ['gamma']);
  t.deepEqual(names(await list('hostname=gamma-h', c.demo, '2.89')).length, 3);
  t.deepEqual(names(await list('hostname=gamma-h&all_tenants=1', c.admin, '2.1')), ['gamma'], 'admins may filter on any column');
});

test('unknown filters are dropped until 2.75 and refused from it; joined-table and _ filters are an admin’s 400', async (t) => {
  t.deepEqual(names(await list('foo=bar', c.demo, '2.1')).length, 3);
  t.deepEqual(names(await list('foo=bar', c.demo, '2.74')).length, 3);
  t.is(message(await list('foo=bar&bar=1', c.demo, '2.75')), "'bar', 'foo' do not match any of the regexes: '^_'");
  t.is(message(await list('metadata=x', c.admin)), 'Invalid filter field: metadata.');
  t.is(message(await list('_secret=1', c.admin, '2.1')), 'Invalid filter field: _secret.');
  t.deepEqual(names(await list('metadata=x')).length, 3, 'dropped for a member');
});

test('sort_key and sort_dir, repeated; ignored keys until 2.75; host and node for admins only', async (t) => {
  t.deepEqual(names(await list('sort_key=display_name&sort_dir=asc')), ['alpha', 'Delta', 'gamma'], 'case-insensitively, as MySQL collates');
  t.deepEqual(names(await list('sort_key=display_name')), ['gamma', 'Delta', 'alpha'], 'the direction defaults to desc');
  t.deepEqual(
    names(await list('sort_key=vm_state&sort_dir=desc&sort_key=display_name&sort_dir=asc')),
    ['Delta', 'alpha', 'gamma'],
    'stopped sorts after active',
  );
  t.deepEqual(
    names(await list('sort_key=vcpus&sort_dir=asc', c.demo, '2.74')),
    ['Delta', 'gamma', 'alpha'],
    'an ignored key takes its direction with it',
  );
  t.regex(
    message(await list('sort_key=vcpus', c.demo, '2.75'))!,
    /^Invalid input for query parameters sort_key\. Value: vcpus\. 'vcpus' is not one of \[/,
  );
  t.regex(message(await list('sort_key=bogus'))!, /^Invalid input for query parameters sort_key\. Value: bogus\. 'bogus' is not one of \['locked', /);
  t.deepEqual(names(await list('sort_key=locked&sort_key=display_name&sort_dir=asc', c.demo, '2.73')), ['alpha', 'Delta', 'gamma']);
  t.is(message(await list('sort_key=host')), 'Only administrators can sort servers by host');
  t.is(message(await list('sort_key=node')), 'Only administrators can sort servers by node');
  t.deepEqual(names(await list('sort_key=host&all_tenants=1', c.admin)).length, 4);
  t.is(message(await list('sort_key=display_name&sort_dir=up')), "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
  t.is(message(await list('sort_key=display_name&sort_dir=asc&sort_dir=desc')), 'Invalid input received: Sort direction size exceeds sort key size');
});

test('limit and marker page through the list with Nova’s next links; an unknown marker is a 400', async (t) => {
  const first = await list('limit=2&sort_key=display_name&sort_dir=asc');
  t.deepEqual(names(first), ['alpha', 'Delta']);
  const next = new URL(first.body.servers_links[0].href);
  t.is(first.body.servers_links[0].rel, 'next');
  t.is(next.pathname, '/v2.1/servers/detail');
  t.deepEqual(Object.fromEntries(next.searchParams), { limit: '2', marker: ids.Delta, sort_dir: 'asc', sort_key: 'display_name' });
  const second = await list(next.search.slice(1));
  t.deepEqual(names(second), ['gamma']);
  t.false('servers_links' in second.body);
  const exact = await list(`limit=1&marker=${ids.alpha}&sort_key=display_name&sort_dir=asc`, c.demo, '2.1', 'servers');
  t.deepEqual(names(exact), ['Delta']);
  t.regex(exact.body.servers_links[0].href, /\/v2\.1\/servers\?limit=1&marker=/);
  t.deepEqual(names(await list(`marker=${ids.gamma}`)), ['alpha']);
  t.deepEqual(
    names(await list(`marker=${ids.beta}&sort_key=display_name&sort_dir=asc`)),
    ['Delta', 'gamma'],
    'a deleted marker still places the page',
  );
  t.is(message(await list('marker=00000000-0000-4000-8000-000000000000')), 'marker [00000000-0000-4000-8000-000000000000] not found');
  t.deepEqual((await list('limit=0&marker=nope')).body, { servers: [] });
  t.is(message(await list('limit=-1')), "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
  const capped = await list('limit=5000');
  t.is(names(capped).length, 3);
  t.false('servers_links' in capped.body, 'a limit above max_limit is max_limit, and three servers do not fill it');
});
