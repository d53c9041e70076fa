import test from 'ava';
import fc from 'fast-check';
import { startComputeCloud, userWithRole, type ComputeCloud } from './helpers/compute.js';
import * as schemas from '../http/identity/schemas.js';
import { fuzz } from './fuzz/harness.js';
import { credentials, requestsOf, type Route } from './fuzz/requests.js';
import { arbitraryOf, type JsonSchema } from './fuzz/schema-arbitrary.js';
import { anyText, hostileText } from './fuzz/values.js';

// The generated-input suite for the identity API: every route, bodies drawn from its TypeBox schemas
// (JSON schemas themselves), hostile inputs; no 5xx, every 4xx in Keystone's error format.
// Mutations only reach the `victim` entities and fresh ones: the tokens the suite sends with stay valid.

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 20_000);

let c: ComputeCloud;
let pools: Record<string, string[]>;
let tokens: Record<string, string>;
let subject: string;

test.before(async () => {
  c = await startComputeCloud('fuzz-identity', { libvirt: { simulatedHosts: 0 } }, undefined, { judged: false });
  const admin = await userWithRole(c, 'fuzz-admin', 'admin', 'fuzz');
  const member = await userWithRole(c, 'fuzz-member', 'member', 'fuzz');
  const reader = await userWithRole(c, 'fuzz-reader', 'reader', 'fuzz');
  subject = await userWithRole(c, 'victim-u', 'member', 'victim-p');
  const id = async (path: string, key: string) => (await c.keystone.call('GET', path, { token: c.admin })).body[key][0].id as string;
  const domain = (await c.keystone.call('POST', '/v3/domains', { token: c.admin, body: { domain: { name: 'victim-d', enabled: false } } })).body
    .domain.id as string;
  const role = (await c.keystone.call('POST', '/v3/roles', { token: c.admin, body: { role: { name: 'victim-r' } } })).body.role.id as string;
  const user = await id('/v3/users?name=victim-u', 'users');
  const project = await id('/v3/projects?name=victim-p', 'projects');
  const credential = await c.keystone.call('POST', `/v3/users/${user}/credentials/OS-EC2`, { token: subject, body: { tenant_id: project } });
  const post = async (path: string, body: unknown, key: string, token = c.admin) =>
    (await c.keystone.call('POST', path, { token, body })).body?.[key] as { id: string };
  const region = (await post('/v3/regions', { region: { id: 'victim-region' } }, 'region')).id;
  const service = (await post('/v3/services', { service: { type: 'victim-type', name: 'victim-s' } }, 'service')).id;
  const endpoint = (await post('/v3/endpoints', { endpoint: { service_id: service, interface: 'public', url: 'http://127.0.0.1:1/' } }, 'endpoint'))
    .id;
  const group = (await post('/v3/groups', { group: { name: 'victim-g' } }, 'group')).id;
  const appCred = (
    await post(`/v3/users/${user}/application_credentials`, { application_credential: { name: 'victim-ac' } }, 'application_credential', subject)
  ).id;
  const registered = (
    await c.keystone.call('POST', '/v3/registered_limits', {
      token: c.admin,
      body: { registered_limits: [{ service_id: service, resource_name: 'victim-things', default_limit: 1 }] },
    })
  ).body.registered_limits[0].id as string;
  const limit = (
    await c.keystone.call('POST', '/v3/limits', {
      token: c.admin,
      body: { limits: [{ project_id: project, service_id: service, resource_name: 'victim-things', resource_limit: 2 }] },
    })
  ).body.limits[0].id as string;
  pools = {
    domain: [domain],
    role: [role],
    user: [user],
    project: [project],
    target: [project, domain],
    access: [credential.body.credential?.access].filter(Boolean),
    name: ['image', 'images', 'member', 'members'],
    region: [region],
    service: [service],
    endpoint: [endpoint],
    group: [group],
    appcred: [appCred],
    registered: [registered],
    limit: [limit],
    group_name: ['identity', 'ldap', 'security_compliance', 'nova'],
    option: ['url', 'password_regex', 'driver', 'nope'],
  };
  tokens = { admin, member, reader };
});
test.after.always(async () => {
  await c?.stop();
});

const json = (s: unknown) => s as JsonSchema;

/** Password logins: mostly unknown names (cheap), sometimes the victim's with any password (a scrypt each), every scope form. */
const login = fc
  .record({
    name: fc.oneof({ weight: 4, arbitrary: anyText(20) }, { weight: 1, arbitrary: fc.constant('victim-u') }, { weight: 1, arbitrary: hostileText }),
    password: fc.oneof(anyText(20), fc.constant('victim-u-secret')),
    domain: fc.oneof(fc.constant({ name: 'Default' }), fc.constant({ id: 'default' }), fc.record({ name: anyText(10) }), fc.constant(undefined)),
    scope: fc.oneof(
      fc.constant(undefined),
      fc.constant('unscoped'),
      fc.record({ project: fc.record({ name: fc.oneof(fc.constant('victim-p'), anyText(10)), domain: fc.constant({ id: 'default' }) }) }),
      fc.record({ domain: fc.record({ id: fc.oneof(fc.constant('default'), anyText(10)) }) }),
      fc.constant({ system: { all: true } }),
    ),
  })
  .map(({ name, password, domain, scope }) => ({
    auth: { identity: { methods: ['password'], password: { user: { name, password, ...(domain ? { domain } : {}) } } }, ...(scope ? { scope } : {}) },
  }));

function routes(): Route[] {
  const assignments = (type: string): Route[] => [
    { method: 'PUT', path: `/v3/${type}s/:target/users/:user/roles/:role` },
    { method: 'HEAD', path: `/v3/${type}s/:target/users/:user/roles/:role` },
    { method: 'GET', path: `/v3/${type}s/:target/users/:user/roles/:role` },
    { method: 'DELETE', path: `/v3/${type}s/:target/users/:user/roles/:role` },
    { method: 'GET', path: `/v3/${type}s/:target/users/:user/roles` },
  ];
  const listQuery = json({
    type: 'object',
    properties: {
      name: { type: 'array', items: { type: 'string' } },
      domain_id: { type: 'array', items: { type: 'string' } },
      enabled: { type: 'array', items: { type: 'string', enum: ['true', 'false', '1', '0', 'True', ''] } },
    },
  });
  return [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/v3' },
    { method: 'GET', path: '/v3/' },
    {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: fc.oneof({ weight: 3, arbitrary: login }, { weight: 2, arbitrary: arbitraryBody(schemas.AuthRequest) }),
      weight: 4,
    },
    { method: 'GET', path: '/v3/auth/tokens', weight: 2 },
    { method: 'HEAD', path: '/v3/auth/tokens' },
    { method: 'DELETE', path: '/v3/auth/tokens' },
    { method: 'GET', path: '/v3/auth/projects' },
    { method: 'GET', path: '/v3/auth/domains' },
    { method: 'GET', path: '/v3/auth/catalog' },
    { method: 'GET', path: '/v3/domains', query: listQuery },
    { method: 'GET', path: '/v3/domains/:domain' },
    { method: 'POST', path: '/v3/domains', body: json(schemas.DomainCreate), weight: 2 },
    { method: 'PATCH', path: '/v3/domains/:domain', body: json(schemas.DomainUpdate) },
    { method: 'DELETE', path: '/v3/domains/:domain' },
    { method: 'GET', path: '/v3/projects', query: listQuery, weight: 2 },
    { method: 'GET', path: '/v3/projects/:project' },
    { method: 'POST', path: '/v3/projects', body: json(schemas.ProjectCreate), weight: 3 },
    { method: 'PATCH', path: '/v3/projects/:project', body: json(schemas.ProjectUpdate), weight: 2 },
    { method: 'DELETE', path: '/v3/projects/:project' },
    { method: 'GET', path: '/v3/users', query: listQuery, weight: 2 },
    { method: 'GET', path: '/v3/users/:user' },
    { method: 'POST', path: '/v3/users', body: json(schemas.UserCreate), weight: 3 },
    { method: 'PATCH', path: '/v3/users/:user', body: json(schemas.UserUpdate), weight: 2 },
    { method: 'DELETE', path: '/v3/users/:user' },
    { method: 'POST', path: '/v3/users/:user/password', body: json(schemas.PasswordChange) },
    { method: 'GET', path: '/v3/users/:user/projects' },
    { method: 'GET', path: '/v3/roles', query: listQuery },
    { method: 'GET', path: '/v3/roles/:role' },
    { method: 'POST', path: '/v3/roles', body: json(schemas.RoleCreate), weight: 2 },
    { method: 'PATCH', path: '/v3/roles/:role', body: json(schemas.RoleUpdate) },
    { method: 'DELETE', path: '/v3/roles/:role' },
    { method: 'GET', path: '/v3/role_inferences' },
    {
      method: 'GET',
      path: '/v3/role_assignments',
      query: json({
        type: 'object',
        properties: Object.fromEntries(
          ['user.id', 'scope.project.id', 'scope.domain.id', 'role.id', 'effective', 'include_names', 'include_subtree'].map((k) => [
            k,
            { type: 'array', items: { type: 'string' } },
          ]),
        ),
      }),
      weight: 2,
    },
    ...assignments('project'),
    ...assignments('domain'),
    { method: 'POST', path: '/v3/users/:user/credentials/OS-EC2', body: json(schemas.Ec2Create) },
    { method: 'GET', path: '/v3/users/:user/credentials/OS-EC2' },
    { method: 'GET', path: '/v3/users/:user/credentials/OS-EC2/:access' },
    { method: 'DELETE', path: '/v3/users/:user/credentials/OS-EC2/:access' },
    {
      method: 'GET',
      path: '/v3/regions',
      query: json({ type: 'object', properties: { parent_region_id: { type: 'array', items: { type: 'string' } } } }),
    },
    { method: 'GET', path: '/v3/regions/:region' },
    { method: 'POST', path: '/v3/regions', body: json(schemas.RegionCreate) },
    { method: 'PUT', path: '/v3/regions/:region', body: json(schemas.RegionCreate) },
    { method: 'PATCH', path: '/v3/regions/:region', body: json(schemas.RegionUpdate) },
    { method: 'DELETE', path: '/v3/regions/:region' },
    { method: 'GET', path: '/v3/services', query: listQuery },
    { method: 'GET', path: '/v3/services/:service' },
    { method: 'POST', path: '/v3/services', body: json(schemas.ServiceCreate) },
    { method: 'PATCH', path: '/v3/services/:service', body: json(schemas.ServiceUpdate) },
    { method: 'DELETE', path: '/v3/services/:service' },
    { method: 'GET', path: '/v3/endpoints', query: listQuery },
    { method: 'GET', path: '/v3/endpoints/:endpoint' },
    { method: 'POST', path: '/v3/endpoints', body: json(schemas.EndpointCreate) },
    { method: 'PATCH', path: '/v3/endpoints/:endpoint', body: json(schemas.EndpointUpdate) },
    { method: 'DELETE', path: '/v3/endpoints/:endpoint' },
    { method: 'GET', path: '/v3/groups', query: listQuery },
    { method: 'GET', path: '/v3/groups/:group' },
    { method: 'POST', path: '/v3/groups', body: json(schemas.GroupCreate) },
    { method: 'PATCH', path: '/v3/groups/:group', body: json(schemas.GroupUpdate) },
    { method: 'DELETE', path: '/v3/groups/:group' },
    { method: 'GET', path: '/v3/groups/:group/users', query: listQuery },
    { method: 'PUT', path: '/v3/groups/:group/users/:user' },
    { method: 'HEAD', path: '/v3/groups/:group/users/:user' },
    { method: 'DELETE', path: '/v3/groups/:group/users/:user' },
    { method: 'GET', path: '/v3/users/:user/groups', query: listQuery },
    { method: 'PUT', path: '/v3/projects/:project/groups/:group/roles/:role' },
    { method: 'HEAD', path: '/v3/domains/:domain/groups/:group/roles/:role' },
    { method: 'DELETE', path: '/v3/projects/:project/groups/:group/roles/:role' },
    { method: 'GET', path: '/v3/projects/:project/groups/:group/roles' },
    { method: 'POST', path: '/v3/users/:user/application_credentials', body: json(schemas.ApplicationCredentialCreate) },
    { method: 'GET', path: '/v3/users/:user/application_credentials', query: listQuery },
    { method: 'GET', path: '/v3/users/:user/application_credentials/:appcred' },
    { method: 'DELETE', path: '/v3/users/:user/application_credentials/:appcred' },
    { method: 'GET', path: '/v3/registered_limits' },
    { method: 'GET', path: '/v3/registered_limits/:registered' },
    { method: 'POST', path: '/v3/registered_limits', body: json(schemas.RegisteredLimitsCreate) },
    { method: 'PATCH', path: '/v3/registered_limits/:registered', body: json(schemas.RegisteredLimitUpdate) },
    { method: 'DELETE', path: '/v3/registered_limits/:registered' },
    { method: 'GET', path: '/v3/limits' },
    { method: 'GET', path: '/v3/limits/model' },
    { method: 'GET', path: '/v3/limits/:limit' },
    { method: 'POST', path: '/v3/limits', body: json(schemas.LimitsCreate) },
    { method: 'PATCH', path: '/v3/limits/:limit', body: json(schemas.LimitUpdate) },
    { method: 'DELETE', path: '/v3/limits/:limit' },
    { method: 'GET', path: '/v3/domains/:domain/config' },
    { method: 'GET', path: '/v3/domains/:domain/config/:group_name' },
    { method: 'GET', path: '/v3/domains/:domain/config/:group_name/:option' },
    { method: 'PUT', path: '/v3/domains/:domain/config', body: json({ type: 'object', properties: { config: { type: 'object' } } }) },
    { method: 'GET', path: '/v3/:name' },
    { method: 'PUT', path: '/v3/projects' },
    { method: 'OPTIONS', path: '/v3/users' },
  ];
}

const arbitraryBody = (schema: unknown) => arbitraryOf(json(schema));

test.serial('generated and hostile requests to every identity route never answer 5xx, and every refusal is a Keystone error', async (t) => {
  const bases = { compute: c.cloud.compute!.url, identity: c.cloud.identity!.server.url, image: c.cloud.images!.url };
  // The token a request asks about (X-Subject-Token): the victim's (never one the suite sends with), or any text.
  const subjects = fc.oneof(
    fc.constant({}),
    fc.constant(subject).map((s) => ({ 'x-subject-token': s })),
    fc.oneof(anyText(20), hostileText).map((s) => ({ 'x-subject-token': s })),
  );
  const requests = requestsOf('identity', routes(), pools, credentials(tokens), subjects);
  const tally = await fuzz(bases, requests, TOTAL);
  t.log(JSON.stringify(tally));
  t.true(tally.sent >= TOTAL);
});
