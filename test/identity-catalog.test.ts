import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { openstack, openstackAs } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { keystoneRefused } from './helpers/refusals.js';

const FORBIDDEN = 'You are not authorized to perform the requested action.';

test('the catalog is seeded from the configuration once, then managed as regions, services and endpoints', async (t) => {
  const database = await createTestDatabase('identity-catalog');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const as = (token: string) => (method: string, path: string, body?: unknown) => api.call(method, path, { token, body });
  const a = as(admin);
  const d = as(demo);
  try {
    // Seeded: RegionOne, the identity service and its three endpoints.
    t.deepEqual((await a('GET', '/v3/regions')).body.regions, [
      { id: 'RegionOne', description: '', parent_region_id: null, links: { self: `${server.url}/v3/regions/RegionOne` } },
    ]);
    const services = (await a('GET', '/v3/services')).body.services;
    t.deepEqual(
      services.map((s: { type: string; name: string; enabled: boolean }) => [s.type, s.name, s.enabled]),
      [['identity', 'keystone', true]],
    );
    const seeded = (await a('GET', `/v3/endpoints?service_id=${services[0].id}`)).body.endpoints;
    t.deepEqual(seeded.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
    t.true(seeded.every((e: { url: string; region_id: string }) => e.url === `${server.url}/v3` && e.region_id === 'RegionOne'));

    // Admin adds a region, a service and its endpoints; a new token and /v3/auth/catalog show them.
    const region = await a('POST', '/v3/regions', { region: { id: 'RegionTwo', description: 'second', parent_region_id: 'RegionOne' } });
    t.is(region.status, 201);
    t.is(region.body.region.parent_region_id, 'RegionOne');
    t.is((await a('PUT', '/v3/regions/RegionThree', { region: {} })).status, 201);
    const service = await a('POST', '/v3/services', { service: { type: 'volumev3', name: 'cinderv3', description: 'volumes' } });
    t.is(service.status, 201);
    t.like(service.body.service, { type: 'volumev3', name: 'cinderv3', description: 'volumes', enabled: true });
    const volume = service.body.service.id;
    const endpoint = await a('POST', '/v3/endpoints', {
      endpoint: { service_id: volume, interface: 'public', region_id: 'RegionTwo', url: 'http://127.0.0.1:8776/v3/$(project_id)s' },
    });
    t.is(endpoint.status, 201);
    t.like(endpoint.body.endpoint, { service_id: volume, interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', enabled: true });
    t.is((await a('POST', '/v3/endpoints', { endpoint: { service_id: volume, interface: 'internal', url: 'http://10.0.0.1:8776/v3' } })).status, 201);
    t.deepEqual((await a('GET', '/v3/endpoints?interface=internal&region_id=RegionTwo')).body.endpoints, [], 'filters combine as in Keystone');
    t.is((await a('GET', '/v3/services?type=volumev3')).body.services.length, 1);
    t.is((await a('GET', '/v3/services?name=keystone')).body.services.length, 1);
    t.is((await a('GET', '/v3/regions?parent_region_id=RegionOne')).body.regions.length, 1);

    const fresh = await api.login('demo', DEMO_PASSWORD, 'demo');
    const demoProject = fresh.body.token.project.id;
    const inToken = fresh.body.token.catalog.find((s: { type: string }) => s.type === 'volumev3');
    t.is(inToken.name, 'cinderv3');
    t.deepEqual(
      inToken.endpoints.map((e: { interface: string; url: string; region: string }) => [e.interface, e.url, e.region]).sort(),
      [
        ['internal', 'http://10.0.0.1:8776/v3', null],
        ['public', `http://127.0.0.1:8776/v3/${demoProject}`, 'RegionTwo'],
      ],
      "the project's id is put into the URL",
    );
    const authCatalog = await as(fresh.token!)('GET', '/v3/auth/catalog');
    t.true(authCatalog.body.catalog.some((s: { type: string }) => s.type === 'volumev3'));

    // Disabled endpoints and services leave the catalog; a changed URL shows at once.
    t.is(
      (await a('PATCH', `/v3/endpoints/${endpoint.body.endpoint.id}`, { endpoint: { url: 'https://volumes.example/v3' } })).body.endpoint.url,
      'https://volumes.example/v3',
    );
    const changed = (await a('GET', '/v3/auth/catalog')).body.catalog.find((s: { type: string }) => s.type === 'volumev3');
    t.true(changed.endpoints.some((e: { url: string }) => e.url === 'https://volumes.example/v3'));
    t.is((await a('PATCH', `/v3/services/${volume}`, { service: { enabled: false } })).body.service.enabled, false);
    t.false((await a('GET', '/v3/auth/catalog')).body.catalog.some((s: { type: string }) => s.type === 'volumev3'));

    // Keystone's refusals.
    keystoneRefused(t, await d('POST', '/v3/services', { service: { type: 'x' } }), 403, FORBIDDEN);
    keystoneRefused(t, await d('GET', '/v3/services'), 403, FORBIDDEN);
    keystoneRefused(t, await d('GET', '/v3/endpoints'), 403, FORBIDDEN);
    keystoneRefused(t, await d('POST', '/v3/regions', { region: {} }), 403, FORBIDDEN);
    keystoneRefused(t, await d('DELETE', `/v3/endpoints/${endpoint.body.endpoint.id}`), 403, FORBIDDEN);
    t.is((await d('GET', '/v3/regions')).status, 200, 'any user reads regions');
    keystoneRefused(t, await api.call('GET', '/v3/regions'), 401, 'The request you have made requires authentication.');
    keystoneRefused(
      t,
      await a('POST', '/v3/regions', { region: { id: 'RegionTwo' } }),
      409,
      'Conflict occurred attempting to store region - Duplicate entry found with ID RegionTwo.',
    );
    keystoneRefused(t, await a('PUT', '/v3/regions/R4', { region: { id: 'R5' } }), 400, 'Conflicting region IDs specified: "R4" != "R5"');
    keystoneRefused(
      t,
      await a('PATCH', '/v3/regions/RegionOne', { region: { parent_region_id: 'RegionTwo' } }),
      400,
      'The specified parent region RegionTwo would create a circular region hierarchy.',
    );
    keystoneRefused(t, await a('POST', '/v3/regions', { region: { parent_region_id: 'Nowhere' } }), 404, 'Could not find region: Nowhere.');
    keystoneRefused(
      t,
      await a('POST', '/v3/endpoints', { endpoint: { service_id: volume, interface: 'public', region_id: 'Nowhere', url: 'http://x/' } }),
      400,
      /^Expecting to find endpoint region_id in region table\./,
    );
    keystoneRefused(
      t,
      await a('POST', '/v3/endpoints', { endpoint: { service_id: 'nope', interface: 'public', url: 'http://x/' } }),
      400,
      /^Expecting to find endpoint service_id in service table\./,
    );
    keystoneRefused(
      t,
      await a('POST', '/v3/endpoints', { endpoint: { service_id: volume, interface: 'side', url: 'http://x/' } }),
      400,
      /^Invalid input for field 'interface'/,
    );
    keystoneRefused(
      t,
      await a('POST', '/v3/endpoints', { endpoint: { service_id: volume, interface: 'public', url: 'no scheme' } }),
      400,
      /^Invalid input for field 'url'/,
    );
    keystoneRefused(t, await a('GET', '/v3/services/nope'), 404, 'Could not find service: nope.');
    keystoneRefused(
      t,
      await a('DELETE', '/v3/regions/RegionOne'),
      403,
      'Unable to delete region RegionOne because it or its child regions have associated endpoints.',
    );

    // A service takes its endpoints with it; an emptied region tree goes.
    t.is((await a('DELETE', `/v3/services/${volume}`)).status, 204);
    t.deepEqual((await a('GET', `/v3/endpoints?service_id=${volume}`)).body.endpoints, []);
    t.is((await a('DELETE', '/v3/regions/RegionThree')).status, 204);
    keystoneRefused(t, await a('GET', '/v3/regions/RegionThree'), 404, 'Could not find region: RegionThree.');
  } finally {
    await server.stop();
  }

  // A restart keeps the rows: a deleted seeded endpoint stays deleted, the others follow the configured URL.
  const again = await startIdentityServer(database.url, { stateDir: server.stateDir });
  const b = client(again.url);
  const token = (await b.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  try {
    const endpoints = (await b.call('GET', '/v3/endpoints', { token })).body.endpoints;
    t.true(
      endpoints.every((e: { url: string }) => e.url === `${again.url}/v3`),
      'seeded endpoints follow the URL this start serves',
    );
    t.is(endpoints.length, 3);
    const admin = endpoints.find((e: { interface: string }) => e.interface === 'admin');
    t.is((await b.call('DELETE', `/v3/endpoints/${admin.id}`, { token })).status, 204);
  } finally {
    await again.stop();
  }
  const third = await startIdentityServer(database.url, { stateDir: server.stateDir });
  try {
    const c = client(third.url);
    const token2 = (await c.login('admin', ADMIN_PASSWORD, 'admin')).token!;
    t.deepEqual((await c.call('GET', '/v3/endpoints', { token: token2 })).body.endpoints.map((e: { interface: string }) => e.interface).sort(), [
      'internal',
      'public',
    ]);
  } finally {
    await third.stop();
    await database.drop();
  }
});

test('operators manage the catalog with the openstack CLI; catalog list shows the change', async (t) => {
  const c = await startTestCloud('catalog-osc');
  const { ok } = openstackAs(t, c.cloudsYaml, 'stratus');
  try {
    t.deepEqual((await ok('service', 'list', '-f', 'json')).map((s: { Type: string }) => s.Type).sort(), ['compute', 'identity', 'image', 'network']);
    t.is((await ok('endpoint', 'list', '-f', 'json')).length, 12);
    await ok('region', 'create', '--description', 'edge', 'RegionEdge', '-f', 'json');
    t.is((await ok('region', 'show', 'RegionEdge', '-f', 'json')).description, 'edge');
    await ok('region', 'set', '--description', 'the edge', 'RegionEdge');
    t.true(
      (await ok('region', 'list', '-f', 'json')).some(
        (r: { Region: string; Description: string }) => r.Region === 'RegionEdge' && r.Description === 'the edge',
      ),
    );
    const service = await ok('service', 'create', '--name', 'placement', '--description', 'Placement', 'placement', '-f', 'json');
    t.is(service.type, 'placement');
    t.is((await ok('service', 'show', 'placement', '-f', 'json')).id, service.id);
    await ok('service', 'set', '--description', 'Placement API', 'placement');
    const endpoint = await ok('endpoint', 'create', '--region', 'RegionEdge', 'placement', 'public', 'http://127.0.0.1:8778', '-f', 'json');
    t.is(endpoint.region, 'RegionEdge');
    t.is((await ok('endpoint', 'show', endpoint.id, '-f', 'json')).url, 'http://127.0.0.1:8778');
    t.is((await ok('endpoint', 'list', '--service', 'placement', '--interface', 'public', '-f', 'json')).length, 1);
    await ok('endpoint', 'set', '--url', 'http://127.0.0.1:8779', endpoint.id);

    const catalog = await ok('catalog', 'list', '-f', 'json');
    const placement = catalog.find((s: { Type: string }) => s.Type === 'placement');
    t.truthy(placement, JSON.stringify(catalog));
    t.like(placement.Endpoints[0], { interface: 'public', region: 'RegionEdge', url: 'http://127.0.0.1:8779' });

    const member = await openstack(c.cloudsYaml, ['--os-cloud', 'stratus-demo', 'service', 'create', '--name', 'x', 'x']);
    t.not(member.code, 0);
    t.regex(member.stderr, /You are not authorized to perform the requested action\. \(HTTP 403\)/);

    await ok('endpoint', 'delete', endpoint.id);
    await ok('service', 'delete', 'placement');
    await ok('region', 'delete', 'RegionEdge');
    t.false((await ok('catalog', 'list', '-f', 'json')).some((s: { Type: string }) => s.Type === 'placement'));
  } finally {
    await stopTestCloud(c);
  }
});

test('two nodes starting together on one database seed the catalog once', async (t) => {
  const database = await createTestDatabase('identity-catalog-race');
  const first = await startIdentityServer(database.url);
  const second = await startIdentityServer(database.url, { stateDir: first.stateDir });
  try {
    // Both render their first catalog at the same moment: each tries to seed the identity service.
    const [a, b] = await Promise.all([
      client(first.url).login('admin', ADMIN_PASSWORD, 'admin'),
      client(second.url).login('admin', ADMIN_PASSWORD, 'admin'),
    ]);
    t.is(a.status, 201);
    t.is(b.status, 201);
    const endpoints = (await client(first.url).call('GET', '/v3/endpoints', { token: a.token! })).body.endpoints;
    t.is(endpoints.length, 3, JSON.stringify(endpoints));
    t.is((await client(first.url).call('GET', '/v3/services', { token: a.token! })).body.services.length, 1);
  } finally {
    await first.stop();
    await second.stop();
    await database.drop();
  }
});
