import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { openstack, openstackAs } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { keystoneRefused } from './helpers/refusals.js';
import { SimulatedClock } from '../runtime/clock.js';

const UNAUTHORIZED = 'The request you have made requires authentication.';
const appCredAuth = (credential: Record<string, unknown>, scope?: unknown) => ({
  auth: { identity: { methods: ['application_credential'], application_credential: credential }, ...(scope ? { scope } : {}) },
});

test('application credentials: hashed secrets, limited roles, by id or name, refused once deleted or expired', async (t) => {
  const database = await createTestDatabase('identity-app-creds');
  const clock = new SimulatedClock(Date.now());
  const server = await startIdentityServer(database.url, { clock });
  const api = client(server.url);
  const admin = await api.login('admin', ADMIN_PASSWORD, 'admin');
  const demo = await api.login('demo', DEMO_PASSWORD, 'demo');
  const adminId = admin.body.token.user.id;
  const demoId = demo.body.token.user.id;
  const as = (token: string) => (method: string, path: string, body?: unknown) => api.call(method, path, { token, body });
  const a = as(admin.token!);
  const d = as(demo.token!);
  const login = (credential: Record<string, unknown>, scope?: unknown) =>
    api.call('POST', '/v3/auth/tokens', { body: appCredAuth(credential, scope) });
  try {
    // The admin delegates only `reader` on the admin project, with a secret generated for it.
    const made = await a('POST', `/v3/users/${adminId}/application_credentials`, {
      application_credential: {
        name: 'monitoring',
        description: 'reads',
        roles: [{ name: 'reader' }],
        access_rules: [{ service: 'compute', method: 'GET', path: '/v2.1/servers' }],
      },
    });
    t.is(made.status, 201, JSON.stringify(made.body));
    const cred = made.body.application_credential;
    t.like(cred, {
      name: 'monitoring',
      description: 'reads',
      user_id: adminId,
      project_id: admin.body.token.project.id,
      unrestricted: false,
      expires_at: null,
      system: null,
    });
    t.deepEqual(
      cred.roles.map((r: { name: string }) => r.name),
      ['reader'],
    );
    t.like(cred.access_rules[0], { service: 'compute', method: 'GET', path: '/v2.1/servers' });
    t.regex(cred.secret, /^[A-Za-z0-9_-]{80,}$/);
    const stored = (await server.db.models.ApplicationCredential.findByPk(cred.id))!.get({ plain: true });
    t.regex(stored.secret_hash, /^scrypt\$/, 'the secret is stored as a scrypt hash, like a password');
    t.false(JSON.stringify(stored).includes(cred.secret));

    const byId = await login({ id: cred.id, secret: cred.secret });
    t.is(byId.status, 201, JSON.stringify(byId.body));
    t.deepEqual(byId.body.token.methods, ['application_credential']);
    t.is(byId.body.token.project.id, admin.body.token.project.id);
    t.deepEqual(
      byId.body.token.roles.map((r: { name: string }) => r.name),
      ['reader'],
      'the token carries only the delegated roles',
    );
    t.like(byId.body.token.application_credential, { id: cred.id, name: 'monitoring', restricted: true });
    const restricted = byId.headers.get('x-subject-token')!;
    const r = as(restricted);
    keystoneRefused(
      t,
      await r('POST', '/v3/projects', { project: { name: 'nope' } }),
      403,
      'You are not authorized to perform the requested action.',
    );
    keystoneRefused(
      t,
      await r('POST', `/v3/users/${adminId}/application_credentials`, { application_credential: { name: 'another' } }),
      403,
      "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials..",
    );
    keystoneRefused(
      t,
      await api.call('POST', '/v3/auth/tokens', {
        body: {
          auth: { identity: { methods: ['token'], token: { id: restricted } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } },
        },
      }),
      403,
      'You are not authorized to perform the requested action: Using an application credential token to create a scoped token is not allowed..',
    );
    const byName = await login({ name: 'monitoring', secret: cred.secret, user: { name: 'admin', domain: { name: 'Default' } } });
    t.is(byName.status, 201);
    keystoneRefused(t, await login({ id: cred.id, secret: 'wrong' }), 401, UNAUTHORIZED);
    keystoneRefused(t, await login({ id: 'nosuch', secret: cred.secret }), 401, UNAUTHORIZED);
    keystoneRefused(
      t,
      await login({ id: cred.id, secret: cred.secret }, { project: { id: demo.body.token.project.id } }),
      401,
      'Error authenticating with application credential: Application credentials cannot request a scope.',
    );

    // Only the owner makes them; the owner or an admin reads and deletes them; another user gets 403.
    keystoneRefused(
      t,
      await d('GET', `/v3/users/${adminId}/application_credentials`),
      403,
      'You are not authorized to perform the requested action.',
    );
    keystoneRefused(
      t,
      await d('GET', `/v3/users/${adminId}/application_credentials/${cred.id}`),
      403,
      'You are not authorized to perform the requested action.',
    );
    keystoneRefused(
      t,
      await a('POST', `/v3/users/${demoId}/application_credentials`, { application_credential: { name: 'x' } }),
      403,
      'You are not authorized to perform the requested action: Cannot create an application credential for another user..',
    );
    keystoneRefused(
      t,
      await d('POST', `/v3/users/${demoId}/application_credentials`, { application_credential: { name: 'x', roles: [{ name: 'admin' }] } }),
      400,
      'Invalid application credential: Cannot create an application credential with unassigned role',
    );
    keystoneRefused(
      t,
      await a('POST', `/v3/users/${adminId}/application_credentials`, { application_credential: { name: 'monitoring' } }),
      409,
      'Conflict occurred attempting to store application_credential - Duplicate entry found with name monitoring.',
    );
    t.deepEqual(
      (await a('GET', `/v3/users/${adminId}/application_credentials`)).body.application_credentials.map((c: { name: string; secret?: string }) => [
        c.name,
        c.secret,
      ]),
      [['monitoring', undefined]],
      'a list never shows secrets',
    );
    t.is((await a('GET', `/v3/users/${adminId}/application_credentials?name=monitoring`)).body.application_credentials.length, 1);
    keystoneRefused(
      t,
      await d('GET', `/v3/users/${demoId}/application_credentials/${cred.id}`),
      404,
      `Could not find Application Credential: ${cred.id}.`,
    );

    // Access rules: shared among a user's credentials when identical; one in use is not deleted.
    const twin = await a('POST', `/v3/users/${adminId}/application_credentials`, {
      application_credential: { name: 'twin', access_rules: [{ service: 'compute', method: 'GET', path: '/v2.1/servers' }] },
    });
    t.is(twin.body.application_credential.access_rules[0].id, cred.access_rules[0].id, 'an identical rule is the same rule');
    const rules = (await a('GET', `/v3/users/${adminId}/access_rules`)).body.access_rules;
    t.deepEqual(
      rules.map((x: { id: string; service: string }) => [x.id, x.service]),
      [[cred.access_rules[0].id, 'compute']],
    );
    t.is((await a('GET', `/v3/users/${adminId}/access_rules/${cred.access_rules[0].id}`)).body.access_rule.path, '/v2.1/servers');
    keystoneRefused(t, await a('DELETE', `/v3/users/${adminId}/access_rules/${cred.access_rules[0].id}`), 403, 'May not delete access rule in use');
    keystoneRefused(t, await a('GET', `/v3/users/${adminId}/access_rules/nosuch`), 404, 'Could not find Access Rule: nosuch.');
    keystoneRefused(t, await d('GET', `/v3/users/${adminId}/access_rules`), 403, 'You are not authorized to perform the requested action.');
    t.is((await a('DELETE', `/v3/users/${adminId}/application_credentials/${twin.body.application_credential.id}`)).status, 204);

    // A member's unrestricted credential, with its own secret and an expiry, on the simulated clock.
    const expires = new Date(clock.now() + 3_600_000).toISOString();
    const own = await d('POST', `/v3/users/${demoId}/application_credentials`, {
      application_credential: { name: 'ci', secret: 'my-own-secret', unrestricted: true, expires_at: expires },
    });
    t.is(own.status, 201, JSON.stringify(own.body));
    t.is(own.body.application_credential.secret, 'my-own-secret');
    t.deepEqual(own.body.application_credential.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
    const ci = await login({ id: own.body.application_credential.id, secret: 'my-own-secret' });
    t.is(ci.status, 201);
    t.true(new Date(ci.body.token.expires_at).getTime() <= new Date(expires).getTime(), 'the token does not outlive its credential');
    const ciToken = ci.headers.get('x-subject-token')!;
    t.is(
      (await as(ciToken)('POST', `/v3/users/${demoId}/application_credentials`, { application_credential: { name: 'child' } })).status,
      201,
      'an unrestricted one may make others',
    );
    await clock.advance(3_600_001);
    keystoneRefused(t, await as(ciToken)('GET', '/v3/auth/projects'), 401, UNAUTHORIZED);
    keystoneRefused(t, await login({ id: own.body.application_credential.id, secret: 'my-own-secret' }), 401, UNAUTHORIZED);

    // Deleted: its tokens and the secret are refused (the admin's earlier token has expired on the clock too).
    const a2 = as((await api.login('admin', ADMIN_PASSWORD, 'admin')).token!);
    const fresh = (await login({ id: cred.id, secret: cred.secret })).headers.get('x-subject-token')!;
    t.is((await as(fresh)('GET', '/v3/auth/projects')).status, 200);
    t.is((await a2('DELETE', `/v3/users/${adminId}/application_credentials/${cred.id}`)).status, 204);
    keystoneRefused(t, await as(fresh)('GET', '/v3/auth/projects'), 401, UNAUTHORIZED);
    keystoneRefused(t, await login({ id: cred.id, secret: cred.secret }), 401, UNAUTHORIZED);
    keystoneRefused(
      t,
      await a2('DELETE', `/v3/users/${adminId}/application_credentials/${cred.id}`),
      404,
      `Could not find Application Credential: ${cred.id}.`,
    );
  } finally {
    await server.stop();
    await database.drop();
  }
});

test('openstack CLI: application credential create, list, show, authenticate with it, delete', async (t) => {
  const c = await startTestCloud('appcred-osc');
  const { ok } = openstackAs(t, c.cloudsYaml, 'stratus-demo');
  try {
    const made = await ok('application', 'credential', 'create', '--role', 'reader', '--description', 'for ci', 'ci', '-f', 'json');
    t.is(made.name, 'ci');
    t.truthy(made.secret);
    t.deepEqual(
      (await ok('application', 'credential', 'list', '-f', 'json')).map((x: { Name: string }) => x.Name),
      ['ci'],
    );
    t.is((await ok('application', 'credential', 'show', 'ci', '-f', 'json')).id, made.id);
    const env = [
      '--os-auth-type',
      'v3applicationcredential',
      '--os-auth-url',
      `http://127.0.0.1:${c.port}/v3`,
      '--os-application-credential-id',
      made.id,
      '--os-application-credential-secret',
      made.secret,
    ];
    const issued = await openstack(c.cloudsYaml, [...env, 'token', 'issue', '-f', 'json']);
    t.is(issued.code, 0, issued.stderr);
    const listed = await openstack(c.cloudsYaml, [...env, 'server', 'list', '-f', 'json']);
    t.is(listed.code, 0, listed.stderr);

    // Access rules: only the requests they name reach compute and image; others are refused as keystonemiddleware refuses them.
    const rules = JSON.stringify([{ service: 'compute', method: 'GET', path: '/v2.1/servers/**' }]);
    const ruled = await ok('application', 'credential', 'create', '--access-rules', rules, 'ruled', '-f', 'json');
    const asRuled = (...args: string[]) =>
      openstack(c.cloudsYaml, [
        ...env.slice(0, 4),
        '--os-application-credential-id',
        ruled.id,
        '--os-application-credential-secret',
        ruled.secret,
        ...args,
      ]);
    const allowed = await asRuled('server', 'list', '-f', 'json');
    t.is(allowed.code, 0, allowed.stderr);
    const flavors = await asRuled('flavor', 'list');
    t.not(flavors.code, 0);
    t.regex(flavors.stderr, /401: Client Error for url: .*\/v2\.1\/flavors\/detail.*The request you have made requires authentication\./);
    const images = await asRuled('image', 'list');
    t.not(images.code, 0);
    t.regex(images.stderr, /401: Client Error for url: .*\/v2\/images, The request you have made requires authentication\./);
    t.deepEqual(
      (await ok('access', 'rule', 'list', '-f', 'json')).map((x: { Service: string; Method: string; Path: string }) => [x.Service, x.Method, x.Path]),
      [['compute', 'GET', '/v2.1/servers/**']],
    );
    await ok('application', 'credential', 'delete', 'ruled');
    await ok('application', 'credential', 'delete', 'ci');
    const refused = await openstack(c.cloudsYaml, [...env, 'token', 'issue']);
    t.not(refused.code, 0);
    t.regex(refused.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);
  } finally {
    await stopTestCloud(c);
  }
});
