import test from 'ava';
import { at, boot, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// Requests an attacker sends: regular expressions that backtrack for hours, bodies nested
// 100,000 deep, NUL bytes in ids, paths, filters and bodies, request ids taken from another
// request. Each is answered at once in the API's own format, and the cloud answers a plain
// request afterwards.
let c: ComputeCloud;
let imageUrl: string;
let identityUrl: string;
// A name a backtracking engine takes hours on with '(a+)+$': many 'a's, then a character that fails the '$'.
const LONG_NAME = `${'a'.repeat(200)}!`;

test.before(async () => {
  c = await startComputeCloud('compute-hostile', { libvirt: { simulatedHosts: 1 } });
  imageUrl = c.cloud.images!.url;
  identityUrl = c.cloud.identity!.publicUrl;
});
test.after.always(async () => {
  await c?.stop();
});

const list = (query: string, token = c.demo, version = '2.93') =>
  c.nova.call('GET', `/v2.1/servers/detail?${query}`, { token, headers: at(version) });
const names = (r: { body: any }) => (r.body.servers ?? []).map((s: any) => s.name).sort();

/** The cloud still answers an ordinary request, on all three APIs. */
async function stillAnswers(t: { is(a: unknown, b: unknown, m?: string): void }) {
  t.is((await c.nova.call('GET', '/v2.1/flavors', { token: c.demo })).status, 200, 'compute answers');
  t.is((await fetch(`${imageUrl}/v2/images`, { headers: { 'x-auth-token': c.demo } })).status, 200, 'images answer');
  t.is((await c.keystone.login('demo', 'demo-secret-unknown')).status, 401, 'identity answers');
}

/** A raw request (a body JSON.stringify could not make, or a path fetch must not normalise). */
async function raw(base: string, method: string, path: string, body?: string, token?: string, type = 'application/json') {
  const r = await fetch(`${base}${path}`, {
    method,
    body,
    headers: { ...(body !== undefined ? { 'content-type': type } : {}), ...(token ? { 'x-auth-token': token } : {}) },
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

test.serial('a catastrophically backtracking name filter is matched in linear time, as a search, case-insensitively', async (t) => {
  await bootActive(c, c.demo, LONG_NAME);
  await bootActive(c, c.demo, 'Plain-One');
  // '(a+)+$' fails on every suffix of 200 'a's and a '!': a backtracking engine tries 2^200 ways.
  t.deepEqual((await list('name=(a%2B)%2B%24')).body, { servers: [] });
  t.deepEqual(names(await list('name=(a%2B)%2B!%24')), [LONG_NAME]);
  t.deepEqual(names(await list('name=(A%2B)%2B!')), [LONG_NAME], 'case-insensitive, unanchored');
  t.deepEqual(names(await list('name=plain')), ['Plain-One']);
  t.deepEqual(names(await list('name=(%3FP<x>plain)')), ['Plain-One'], "Python's named groups, which RE2 has");
  t.deepEqual((await list('name=a|Plain')).body, { servers: [] }, "'|' stays literal, as for MySQL");
  await stillAnswers(t);
});

test.serial('what RE2 cannot match, and patterns over the cap, are a 400 naming the filter, never a 500', async (t) => {
  const refused = async (query: string, value: string, why: RegExp) => {
    const r = await list(query);
    t.is(r.status, 400, query);
    t.deepEqual(Object.keys(r.body), ['badRequest']);
    t.is(r.body.badRequest.code, 400);
    t.true(r.body.badRequest.message.startsWith(`Invalid input for query parameters name. Value: ${value}. `), r.body.badRequest.message);
    t.regex(r.body.badRequest.message, why);
  };
  await refused('name=(%3F%3Da)a', '(?=a)a', /not a regular expression this cloud can match/);
  await refused('name=(a)%5C1', '(a)\\1', /not a regular expression this cloud can match/);
  await refused(`name=${'a'.repeat(256)}`, 'a'.repeat(256), /longer than 255 characters/);
  await refused(`name=${encodeURIComponent('.{1000}'.repeat(3))}`, '.{1000}'.repeat(3), /too complex/);
  const other = await list('display_description=(%3F!x)', c.admin);
  t.is(other.status, 400);
  t.is(other.body.badRequest.message.split('.')[0], 'Invalid input for query parameters display_description');
  await stillAnswers(t);
});

test.serial('paging reads in SQL: limit, marker and a regex filter together keep Nova’s order and next links', async (t) => {
  for (const n of [1, 2, 3]) await bootActive(c, c.demo, `page-${n}`);
  const first = await list('name=%5Epage-&limit=2&sort_key=display_name&sort_dir=asc');
  t.deepEqual(
    first.body.servers.map((s: any) => s.name),
    ['page-1', 'page-2'],
  );
  const next = new URL(first.body.servers_links[0].href);
  t.is(next.searchParams.get('marker'), first.body.servers[1].id);
  const second = await list(`${next.searchParams}`);
  t.deepEqual(
    second.body.servers.map((s: any) => s.name),
    ['page-3'],
  );
  t.false('servers_links' in second.body);
  // A marker the filter does not show still places the page where it sorts.
  const plain = (await list('name=Plain-One')).body.servers[0].id;
  t.deepEqual((await list(`name=%5Epage-&sort_key=display_name&sort_dir=asc&marker=${plain}`)).body.servers, []);
  t.deepEqual(
    (await list(`name=%5Epage-&sort_key=display_name&sort_dir=desc&marker=${plain}`)).body.servers.map((s: any) => s.name),
    ['page-3', 'page-2', 'page-1'],
  );
  // A sort key sent hundreds of times sorts as once, and pages after a marker as once.
  const repeated = `name=%5Epage-&${'sort_key=display_name&sort_dir=asc&'.repeat(300)}limit=1&marker=${first.body.servers[0].id}`;
  t.deepEqual(
    (await list(repeated)).body.servers.map((s: any) => s.name),
    ['page-2'],
  );
  const unknown = await list('marker=00000000-0000-4000-8000-000000000000');
  t.deepEqual(unknown.body, { badRequest: { code: 400, message: 'marker [00000000-0000-4000-8000-000000000000] not found' } });
});

test('a body nested 100,000 deep is a 400 in each API’s format', async (t) => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const message = 'request body is nested deeper than 64 levels';
  for (const body of [deep, deepObject]) {
    t.deepEqual(await raw(c.cloud.compute!.url, 'POST', '/v2.1/servers', body, c.demo), {
      status: 400,
      body: { badRequest: { code: 400, message } },
    });
    t.deepEqual(await raw(identityUrl, 'POST', '/v3/auth/tokens', body), {
      status: 400,
      body: { error: { code: 400, title: 'Bad Request', message } },
    });
    t.deepEqual(await raw(imageUrl, 'POST', '/v2/images', body, c.demo), { status: 400, body: { code: 400, title: 'Bad Request', message } });
  }
  // A body as deep as the bound is read as usual (and refused for what it says).
  const ok = await raw(c.cloud.compute!.url, 'POST', '/v2.1/servers', `{"server":${'['.repeat(62)}${']'.repeat(62)}}`, c.demo);
  t.is(ok.status, 400);
  t.regex(ok.body.badRequest.message, /^Invalid input for field\/attribute server\./);
  await stillAnswers(t);
});

test('a NUL in an id, a path, a filter or a body string is a 404 or 400 on compute, never a 500', async (t) => {
  const nova = c.cloud.compute!.url;
  const notFound = { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } };
  const query = { status: 400, body: { badRequest: { code: 400, message: 'Invalid input for query parameters: a value holds a NUL character.' } } };
  t.deepEqual(await raw(nova, 'GET', '/v2.1/servers/%00', undefined, c.demo), notFound);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/servers/abc%00def/os-instance-actions', undefined, c.demo), notFound);
  t.deepEqual(await raw(nova, 'DELETE', '/v2.1/servers/%00', undefined, c.demo), notFound);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/flavors/1%00', undefined, c.demo), notFound);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/os-keypairs/k%00', undefined, c.demo), notFound);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/servers?name=%00', undefined, c.demo), query);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/servers/detail?all_tenants=1&host=a%00', undefined, c.admin), query);
  t.deepEqual(await raw(nova, 'GET', '/v2.1/servers?marker=%00', undefined, c.demo), query);
  t.deepEqual(
    await raw(nova, 'GET', '/v2.1/servers/%E0%A4%A', undefined, c.demo),
    {
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Instance %E0%A4%A could not be found.' } },
    },
    'a malformed escape is kept as written',
  );
  // Unauthenticated, it is still the token that is refused first.
  t.is((await raw(nova, 'GET', '/v2.1/servers/%00')).status, 401);
  const nulBody = { status: 400, body: { badRequest: { code: 400, message: 'request body holds a NUL character' } } };
  t.deepEqual(
    await raw(nova, 'POST', '/v2.1/servers', JSON.stringify({ server: { name: 'a\u0000b', imageRef: 'x', flavorRef: '1' } }), c.demo),
    nulBody,
  );
  t.deepEqual(await raw(nova, 'POST', '/v2.1/os-keypairs', JSON.stringify({ keypair: { 'na\u0000me': 'k' } }), c.demo), nulBody);
  t.is((await boot(c.nova, c.demo, 'after-nul')).status, 202, 'the cloud still boots');
  await stillAnswers(t);
});

test('a NUL in identity and image requests is a 400 or 404 in Keystone’s and Glance’s formats, even unauthenticated', async (t) => {
  const login = JSON.stringify({
    auth: { identity: { methods: ['password'], password: { user: { name: 'de\u0000mo', domain: { name: 'Default' }, password: 'x' } } } },
  });
  const keystoneBody = { error: { code: 400, title: 'Bad Request', message: 'request body holds a NUL character' } };
  t.deepEqual(await raw(identityUrl, 'POST', '/v3/auth/tokens', login), { status: 400, body: keystoneBody });
  t.deepEqual(await raw(identityUrl, 'GET', '/v3/users/%00', undefined, c.admin), {
    status: 404,
    body: { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } },
  });
  t.deepEqual(await raw(identityUrl, 'GET', '/v3/projects?name=%00', undefined, c.admin), {
    status: 400,
    body: { error: { code: 400, title: 'Bad Request', message: 'Invalid input for query parameters: a value holds a NUL character.' } },
  });

  t.deepEqual(await raw(imageUrl, 'GET', '/v2/images/%00', undefined, c.demo), {
    status: 404,
    body: { code: 404, title: 'Not Found', message: 'The resource could not be found.' },
  });
  t.deepEqual(await raw(imageUrl, 'GET', '/v2/images?name=%00', undefined, c.demo), {
    status: 400,
    body: { code: 400, title: 'Bad Request', message: 'Invalid input for query parameters: a value holds a NUL character.' },
  });
  t.deepEqual(await raw(imageUrl, 'POST', '/v2/images', JSON.stringify({ name: '\u0000' }), c.demo), {
    status: 400,
    body: { code: 400, title: 'Bad Request', message: 'request body holds a NUL character' },
  });
  const image = await raw(imageUrl, 'POST', '/v2/images', JSON.stringify({ name: 'nul-target' }), c.demo);
  t.is(image.status, 201);
  t.deepEqual(
    await raw(
      imageUrl,
      'PATCH',
      `/v2/images/${image.body.id}`,
      JSON.stringify([{ op: 'replace', path: '/name', value: 'a\u0000' }]),
      c.demo,
      'application/openstack-images-v2.1-json-patch',
    ),
    { status: 400, body: { code: 400, title: 'Bad Request', message: 'request body holds a NUL character' } },
  );
  t.is((await raw(imageUrl, 'GET', `/v2/images/${image.body.id}`, undefined, c.demo)).body.name, 'nul-target', 'the image is unchanged');
  await stillAnswers(t);
});

test.serial('request ids are the server’s own: a client sending another request’s id cannot merge into its instance actions', async (t) => {
  const first = await boot(c.nova, c.demo, 'ids-1');
  t.is(first.status, 202);
  const taken = first.headers.get('x-openstack-request-id')!;
  t.regex(taken, /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.is(first.headers.get('x-compute-request-id'), taken);
  // The same member (or anyone) sends that id with a request of its own: it is kept only as the global id.
  const second = await boot(c.nova, c.demo, 'ids-2', {}, { 'X-OpenStack-Request-ID': taken });
  t.is(second.status, 202);
  const own = second.headers.get('x-openstack-request-id')!;
  t.not(own, taken);
  const actions = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.demo })).body.instanceActions;
  await eventually(async () => (await actions(second.body.server.id))?.length === 1);
  t.like(await actions(first.body.server.id), [{ action: 'create', request_id: taken, instance_uuid: first.body.server.id }]);
  t.like(await actions(second.body.server.id), [{ action: 'create', request_id: own, instance_uuid: second.body.server.id }]);
  t.is((await actions(first.body.server.id)).length, 1);
  // The action is found by the id the API answered with.
  const shown = await c.nova.call('GET', `/v2.1/servers/${second.body.server.id}/os-instance-actions/${own}`, { token: c.demo });
  t.is(shown.status, 200);
  t.is(shown.body.instanceAction.request_id, own);
});
