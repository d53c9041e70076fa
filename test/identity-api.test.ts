import test from 'ava';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { bootstrapIdentity } from '../http/identity/index.js';
import { silentLogger } from '../runtime/logger.js';
import { SimulatedClock } from '../runtime/clock.js';
import { answer, keystoneRefused } from './helpers/refusals.js';

test('version documents are open; tokens carry what clients read', async (t) => {
  const database = await createTestDatabase('identity-tokens');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);

  const root = await api.call('GET', '/');
  t.is(root.status, 300);
  t.is(root.body.versions.values[0].id, 'v3.14');
  t.is((await api.call('GET', '/v3')).body.version.links[0].href, `${server.url}/v3/`);

  const admin = await api.login('admin', ADMIN_PASSWORD, 'admin');
  t.is(admin.status, 201);
  t.truthy(admin.token);
  const body = admin.body.token;
  t.deepEqual(body.methods, ['password']);
  t.is(body.user.name, 'admin');
  t.deepEqual(body.user.domain, { id: 'default', name: 'Default' });
  t.is(body.project.name, 'admin');
  t.deepEqual(body.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader'], 'implied roles are effective');
  t.regex(body.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  t.is(body.audit_ids.length, 1);
  const identity = body.catalog.find((s: { type: string }) => s.type === 'identity');
  t.deepEqual(identity.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
  t.true(identity.endpoints.every((e: { url: string; region: string }) => e.url === `${server.url}/v3` && e.region === 'RegionOne'));

  const unscoped = await api.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: DEMO_PASSWORD } } },
        scope: 'unscoped',
      },
    },
  });
  t.is(unscoped.status, 201);
  t.is(unscoped.body.token.project, undefined);
  t.is(unscoped.body.token.catalog, undefined);
  const demoProjects = await api.call('GET', '/v3/auth/projects', { token: unscoped.headers.get('x-subject-token')! });
  t.deepEqual(
    demoProjects.body.projects.map((p: { name: string }) => p.name),
    ['demo'],
  );

  const rescoped = await api.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['token'], token: { id: unscoped.headers.get('x-subject-token') } },
        scope: { project: { name: 'demo', domain: { id: 'default' } } },
      },
    },
  });
  t.is(rescoped.status, 201);
  t.is(rescoped.body.token.project.name, 'demo');
  t.is(rescoped.body.token.audit_ids[1], unscoped.body.token.audit_ids[0], 'a rescoped token chains to its parent');
  t.is(rescoped.body.token.expires_at, unscoped.body.token.expires_at);

  const domainScoped = await api.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } },
        scope: { domain: { id: 'default' } },
      },
    },
  });
  keystoneRefused(t, domainScoped, 401, /^User [0-9a-f]{32} has no access to domain default$/); // no role on the domain, no domain-scoped token
  const adminRole = body.roles.find((r: { name: string }) => r.name === 'admin');
  t.is((await api.call('PUT', `/v3/domains/default/users/${body.user.id}/roles/${adminRole.id}`, { token: admin.token })).status, 204);
  const domainToken = await api.call('POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { id: body.user.id, password: ADMIN_PASSWORD } } },
        scope: { domain: { name: 'Default' } },
      },
    },
  });
  t.is(domainToken.status, 201);
  t.deepEqual(domainToken.body.token.domain, { id: 'default', name: 'Default' });
  t.is(domainToken.body.token.project, undefined);
  const listed = await api.call('GET', `/v3/role_assignments?user.id=${body.user.id}&include_names`, { token: admin.token });
  t.deepEqual(listed.body.role_assignments.map((a: { scope: object }) => Object.keys(a.scope)[0]).sort(), ['domain', 'project']);
  const effective = await api.call('GET', `/v3/role_assignments?user.id=${body.user.id}&scope.project.id=${body.project.id}&effective`, {
    token: admin.token,
  });
  t.is(effective.body.role_assignments.length, 3, 'effective assignments include implied roles');

  const validated = await api.call('GET', '/v3/auth/tokens', {
    token: admin.token,
    headers: { 'x-subject-token': rescoped.headers.get('x-subject-token')! },
  });
  t.is(validated.status, 200);
  t.is(validated.body.token.user.name, 'demo');
  t.is((await api.call('HEAD', '/v3/auth/tokens', { token: admin.token, headers: { 'x-subject-token': admin.token! } })).status, 200);
  await server.stop();
  await database.drop();
});

test('refusals come as Keystone errors with its status codes', async (t) => {
  const database = await createTestDatabase('identity-refusals');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const wrong = await api.login('admin', 'not-the-password', 'admin');
  t.is(wrong.status, 401);
  t.deepEqual(wrong.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  t.regex(wrong.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
  keystoneRefused(t, await api.call('GET', '/v3/projects'), 401, 'The request you have made requires authentication.'); // no token, no answer
  keystoneRefused(
    t,
    await api.call('GET', '/v3/projects', { token: 'forged.token.value' }),
    401,
    'The request you have made requires authentication.',
  );

  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const forbidden = await api.call('POST', '/v3/users', { token: demo, body: { user: { name: 'sneaky', password: 'x' } } });
  keystoneRefused(t, forbidden, 403, 'You are not authorized to perform the requested action.');
  keystoneRefused(t, await api.call('GET', '/v3/users/nosuchuser', { token: admin }), 404, 'Could not find user: nosuchuser.');
  t.is((await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: 'dup' } } })).status, 201);
  const duplicate = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: 'dup' } } });
  keystoneRefused(t, duplicate, 409, /Duplicate entry found with name dup at domain ID default/);
  const malformed = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: 42 } } });
  keystoneRefused(t, malformed, 400, "Invalid input for field 'name': Expected string");
  const notJson = await fetch(`${server.url}/v3/projects`, {
    method: 'POST',
    headers: { 'x-auth-token': admin, 'content-type': 'application/json' },
    body: '{oops',
  });
  keystoneRefused(t, await answer(notJson), 400, 'request body is not valid JSON');
  keystoneRefused(t, await api.call('GET', '/v3/no-such-thing', { token: admin }), 404, 'The resource could not be found.');
  await server.stop();
  await database.drop();
});

test('a project made with a null description keeps it; names are stripped, and lengths counted in code points', async (t) => {
  const database = await createTestDatabase('identity-names');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;

  const created = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: 'nulled', description: null } } });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.body.project.description, null);
  const id = created.body.project.id;
  t.is((await api.call('GET', `/v3/projects/${id}`, { token: admin })).body.project.description, null);
  t.is(
    (await api.call('PATCH', `/v3/projects/${id}`, { token: admin, body: { project: { description: 'some' } } })).body.project.description,
    'some',
  );
  const cleared = await api.call('PATCH', `/v3/projects/${id}`, { token: admin, body: { project: { description: null } } });
  t.is(cleared.status, 200, JSON.stringify(cleared.body));
  t.is(cleared.body.project.description, null);
  t.is((await api.call('GET', `/v3/projects/${id}`, { token: admin })).body.project.description, null);

  const blank = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: ' \t ' } } });
  keystoneRefused(t, blank, 400, "Invalid input for field 'name': ' \\t ' does not match '[\\\\S]+'");
  t.deepEqual(Object.keys(blank.body.error).sort(), ['code', 'message', 'title']);
  t.is(blank.body.error.title, 'Bad Request');
  const renamed = await api.call('PATCH', `/v3/projects/${id}`, { token: admin, body: { project: { name: '   ' } } });
  keystoneRefused(t, renamed, 400, /does not match/);
  const padded = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: '  padded  ' } } });
  t.is(padded.body.project.name, 'padded');

  // Keystone counts a name's length as Python does: an emoji is one character, not two UTF-16 units.
  const longest = '😀'.repeat(64);
  const astral = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: longest } } });
  t.is(astral.status, 201, JSON.stringify(astral.body));
  t.is(astral.body.project.name, longest);
  const tooLong = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: `${longest}😀` } } });
  keystoneRefused(t, tooLong, 400, `Invalid input for field 'name': '${longest}😀' is too long`);
  await server.stop();
  await database.drop();
});

test('a revocation reaches every node on the database; disabling a user revokes their tokens', async (t) => {
  const database = await createTestDatabase('identity-revocation');
  const clock = new SimulatedClock(Date.now());
  const one = await startIdentityServer(database.url, { clock, pollMs: 500 });
  const two = await startIdentityServer(database.url, { clock, pollMs: 500, stateDir: one.stateDir });
  // Node two learns of revocations when its poll timer fires on the simulated clock.
  const refusedByTwo = (token: string) =>
    eventually(async () => {
      await clock.advance(500);
      return (await b.call('GET', '/v3/auth/projects', { token })).status === 401;
    }, 10_000);
  const a = client(one.url);
  const b = client(two.url);
  const admin = (await a.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await a.login('demo', DEMO_PASSWORD, 'demo')).token!;
  t.is((await b.call('GET', '/v3/auth/projects', { token: demo })).status, 200, 'a token from one node is valid on the other');

  t.is((await a.call('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } })).status, 204);
  keystoneRefused(t, await a.call('GET', '/v3/auth/projects', { token: demo }), 401, 'The request you have made requires authentication.');
  t.is((await b.call('GET', '/v3/auth/projects', { token: demo })).status, 200, 'not yet polled');
  await refusedByTwo(demo);
  keystoneRefused(
    t,
    await a.call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } }),
    404,
    `Could not find token: ${demo}.`,
  );

  const demoAgain = (await b.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const users = (await a.call('GET', '/v3/users?name=demo', { token: admin })).body.users;
  t.is((await a.call('PATCH', `/v3/users/${users[0].id}`, { token: admin, body: { user: { enabled: false } } })).status, 200);
  await refusedByTwo(demoAgain);
  await clock.advance(1_000); // node two reads identity rows through a one-second cache
  keystoneRefused(t, await b.login('demo', DEMO_PASSWORD, 'demo'), 401, 'The request you have made requires authentication.'); // a disabled user cannot authenticate
  await one.stop();
  await two.stop();
  await database.drop();
});

test('passwords are stored as scrypt hashes and EC2 secrets encrypted at rest', async (t) => {
  const database = await createTestDatabase('identity-secrets');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const login = await api.login('demo', DEMO_PASSWORD, 'demo');
  const { user, project } = login.body.token;
  const created = await api.call('POST', `/v3/users/${user.id}/credentials/OS-EC2`, { token: login.token, body: { tenant_id: project.id } });
  t.is(created.status, 201);
  const { access, secret } = created.body.credential;
  t.regex(secret, /^[0-9a-f]{32}$/);
  const rows = (await server.db.models.Ec2Credential.findAll({ raw: true })) as unknown as Array<{ secret_encrypted: string }>;
  t.false(JSON.stringify(rows).includes(secret), 'the secret is not in the database in clear');
  t.is((await api.call('GET', `/v3/users/${user.id}/credentials/OS-EC2/${access}`, { token: login.token })).body.credential.secret, secret);
  t.is((await api.call('GET', `/v3/users/${user.id}/credentials/OS-EC2`, { token: login.token })).body.credentials.length, 1);
  t.true((statSync(join(server.stateDir, 'keys', 'credentials.key')).mode & 0o077) === 0, 'the key is readable by its owner only');
  const users = (await server.db.models.User.findAll({ raw: true })) as unknown as Array<{ password_hash: string }>;
  t.true(users.every((u) => u.password_hash.startsWith('scrypt$') && !u.password_hash.includes(DEMO_PASSWORD)));
  t.is((await api.call('DELETE', `/v3/users/${user.id}/credentials/OS-EC2/${access}`, { token: login.token })).status, 204);
  keystoneRefused(
    t,
    await api.call('GET', `/v3/users/${user.id}/credentials/OS-EC2/${access}`, { token: login.token }),
    404,
    `Could not find credential: ${access}.`,
  );
  await server.stop();
  await database.drop();
});

test('bootstrap runs once: a later start changes nothing and never overwrites clouds.yaml', async (t) => {
  const database = await createTestDatabase('identity-bootstrap');
  const server = await startIdentityServer(database.url);
  const cloudsYaml = join(server.stateDir, 'clouds.yaml');
  const written = readFileSync(cloudsYaml, 'utf8');
  t.regex(written, /stratus:\n[\s\S]*password: "admin-secret"[\s\S]*stratus-demo:/);
  t.is(statSync(cloudsYaml).mode & 0o777, 0o600);
  writeFileSync(cloudsYaml, 'operator edits');
  const before = await server.db.models.User.findAll({ raw: true, order: [['id', 'ASC']] });
  t.false(await bootstrapIdentity(server.db.models, { cloudsYaml, authUrl: 'http://x/v3', adminPassword: 'other' }, silentLogger()));
  t.deepEqual(await server.db.models.User.findAll({ raw: true, order: [['id', 'ASC']] }), before);
  t.is(readFileSync(cloudsYaml, 'utf8'), 'operator edits');
  t.is((await client(server.url).login('admin', ADMIN_PASSWORD, 'admin')).status, 201);
  await server.stop();
  await database.drop();
});
