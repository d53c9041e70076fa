import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { openstackAs } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { keystoneRefused } from './helpers/refusals.js';

const FORBIDDEN = 'You are not authorized to perform the requested action.';

test('unified limits: registered limits and project limits, as Keystone with its flat model', async (t) => {
  const database = await createTestDatabase('identity-limits');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = await api.login('admin', ADMIN_PASSWORD, 'admin');
  const demo = await api.login('demo', DEMO_PASSWORD, 'demo');
  const a = (method: string, path: string, body?: unknown) => api.call(method, path, { token: admin.token!, body });
  const d = (method: string, path: string, body?: unknown) => api.call(method, path, { token: demo.token!, body });
  try {
    t.deepEqual((await d('GET', '/v3/registered_limits')).body.registered_limits, [], 'a deployment with none answers empty lists');
    t.deepEqual((await d('GET', '/v3/limits')).body.limits, []);
    t.is((await d('GET', '/v3/limits/model')).body.model.name, 'flat');
    const service = (await a('GET', '/v3/services?type=identity')).body.services[0].id;
    const demoProject = demo.body.token.project.id;

    keystoneRefused(
      t,
      await d('POST', '/v3/registered_limits', { registered_limits: [{ service_id: service, resource_name: 'widgets', default_limit: 10 }] }),
      403,
      FORBIDDEN,
    );
    const registered = await a('POST', '/v3/registered_limits', {
      registered_limits: [{ service_id: service, region_id: 'RegionOne', resource_name: 'widgets', default_limit: 10, description: 'how many' }],
    });
    t.is(registered.status, 201, JSON.stringify(registered.body));
    const reg = registered.body.registered_limits[0];
    t.like(reg, { service_id: service, region_id: 'RegionOne', resource_name: 'widgets', default_limit: 10, description: 'how many' });
    keystoneRefused(
      t,
      await a('POST', '/v3/registered_limits', {
        registered_limits: [{ service_id: service, region_id: 'RegionOne', resource_name: 'widgets', default_limit: 1 }],
      }),
      409,
      'Conflict occurred attempting to store registered_limit - Duplicate entry.',
    );
    keystoneRefused(
      t,
      await a('POST', '/v3/registered_limits', { registered_limits: [{ service_id: 'nope', resource_name: 'x', default_limit: 1 }] }),
      400,
      /^Expecting to find service_id in registered_limit\./,
    );
    keystoneRefused(
      t,
      await a('POST', '/v3/registered_limits', { registered_limits: [{ service_id: service, resource_name: 'x', default_limit: -2 }] }),
      400,
      /^Invalid input for field 'default_limit'/,
    );
    t.is((await d('GET', `/v3/registered_limits?resource_name=widgets`)).body.registered_limits.length, 1, 'any user reads registered limits');

    keystoneRefused(
      t,
      await a('POST', '/v3/limits', { limits: [{ project_id: demoProject, service_id: service, resource_name: 'gadgets', resource_limit: 5 }] }),
      403,
      'Unable to create a limit that has no corresponding registered limit.',
    );
    const limit = await a('POST', '/v3/limits', {
      limits: [{ project_id: demoProject, service_id: service, region_id: 'RegionOne', resource_name: 'widgets', resource_limit: 20 }],
    });
    t.is(limit.status, 201, JSON.stringify(limit.body));
    const lim = limit.body.limits[0];
    t.like(lim, { project_id: demoProject, domain_id: null, resource_limit: 20 });
    t.deepEqual(
      (await d('GET', '/v3/limits')).body.limits.map((l: { id: string }) => l.id),
      [lim.id],
      "a member sees their project's limits",
    );
    t.deepEqual((await as(api, admin.token!)('GET', `/v3/limits?project_id=${demoProject}`)).body.limits.length, 1);
    t.is((await a('PATCH', `/v3/limits/${lim.id}`, { limit: { resource_limit: 30 } })).body.limit.resource_limit, 30);
    keystoneRefused(t, await d('PATCH', `/v3/limits/${lim.id}`, { limit: { resource_limit: 99 } }), 403, FORBIDDEN);
    keystoneRefused(
      t,
      await a('DELETE', `/v3/registered_limits/${reg.id}`),
      403,
      `Unable to update or delete registered limit ${reg.id} because there are project limits associated with it.`,
    );
    t.is((await a('PATCH', `/v3/registered_limits/${reg.id}`, { registered_limit: { default_limit: 12 } })).body.registered_limit.default_limit, 12);
    t.is((await a('DELETE', `/v3/limits/${lim.id}`)).status, 204);
    keystoneRefused(t, await a('GET', `/v3/limits/${lim.id}`), 404, `Could not find limit for ${lim.id}.`);
    t.is((await a('DELETE', `/v3/registered_limits/${reg.id}`)).status, 204);
    keystoneRefused(t, await a('GET', `/v3/registered_limits/${reg.id}`), 404, `Could not find registered limit for ${reg.id}.`);
  } finally {
    await server.stop();
    await database.drop();
  }
});

const as = (api: ReturnType<typeof client>, token: string) => (method: string, path: string, body?: unknown) =>
  api.call(method, path, { token, body });

test('domain configuration is answered as Keystone answers with no domain-specific drivers', async (t) => {
  const database = await createTestDatabase('identity-domain-config');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const a = as(api, (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!);
  const d = as(api, (await api.login('demo', DEMO_PASSWORD, 'demo')).token!);
  try {
    keystoneRefused(t, await a('GET', '/v3/domains/default/config'), 404, 'Could not find any options in domain configuration for domain default.');
    keystoneRefused(
      t,
      await a('GET', '/v3/domains/default/config/ldap'),
      404,
      'Could not find group ldap in domain configuration for domain default.',
    );
    keystoneRefused(
      t,
      await a('GET', '/v3/domains/default/config/ldap/url'),
      404,
      'Could not find option url in group ldap in domain configuration for domain default.',
    );
    keystoneRefused(
      t,
      await a('GET', '/v3/domains/default/config/nova'),
      403,
      'Invalid domain specific configuration: Group nova is not supported for domain specific configurations.',
    );
    keystoneRefused(t, await a('GET', '/v3/domains/nosuch/config'), 404, 'Could not find domain: nosuch.');
    keystoneRefused(t, await d('GET', '/v3/domains/default/config'), 403, FORBIDDEN);
    keystoneRefused(
      t,
      await a('PUT', '/v3/domains/default/config', { config: { identity: { driver: 'ldap' } } }),
      403,
      'Invalid domain specific configuration: domain-specific identity drivers are not enabled in this cloud.',
    );
    t.deepEqual((await d('GET', '/v3/domains/default/config/security_compliance')).body, {
      config: { password_regex: null, password_regex_description: null },
    });
    t.deepEqual((await d('GET', '/v3/domains/default/config/security_compliance/password_regex')).body, { config: { password_regex: null } });
    keystoneRefused(
      t,
      await d('GET', '/v3/domains/default/config/security_compliance/lockout_duration'),
      403,
      'Invalid domain specific configuration: Reading security compliance values other than password_regex and password_regex_description is not allowed.',
    );
  } finally {
    await server.stop();
    await database.drop();
  }
});

test('openstack CLI: registered limit and limit create, list, show, set, delete', async (t) => {
  const c = await startTestCloud('limits-osc');
  const { ok } = openstackAs(t, c.cloudsYaml, 'stratus');
  try {
    const reg = await ok(
      'registered',
      'limit',
      'create',
      '--service',
      'nova',
      '--default-limit',
      '10',
      '--region',
      'RegionOne',
      'servers',
      '-f',
      'json',
    );
    t.is(reg.default_limit, 10);
    t.is((await ok('registered', 'limit', 'list', '-f', 'json')).length, 1);
    await ok('registered', 'limit', 'set', '--default-limit', '15', reg.id);
    t.is((await ok('registered', 'limit', 'show', reg.id, '-f', 'json')).default_limit, 15);
    const lim = await ok(
      'limit',
      'create',
      '--project',
      'demo',
      '--service',
      'nova',
      '--resource-limit',
      '25',
      '--region',
      'RegionOne',
      'servers',
      '-f',
      'json',
    );
    t.is(lim.resource_limit, 25);
    t.is((await ok('limit', 'list', '-f', 'json')).length, 1);
    await ok('limit', 'set', '--resource-limit', '30', lim.id);
    t.is((await ok('limit', 'show', lim.id, '-f', 'json')).resource_limit, 30);
    await ok('limit', 'delete', lim.id);
    await ok('registered', 'limit', 'delete', reg.id);
    t.deepEqual(await ok('registered', 'limit', 'list', '-f', 'json'), []);
  } finally {
    await stopTestCloud(c);
  }
});
