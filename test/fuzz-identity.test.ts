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
  pools = {
    domain: [domain],
    role: [role],
    user: [user],
    project: [project],
    target: [project, domain],
    access: [credential.body.credential?.access].filter(Boolean),
    name: ['image', 'images', 'member', 'members'],
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
