import test from 'ava';
import { scrypt } from '../http/identity/passwords.js';
import { SimulatedClock } from '../runtime/clock.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { keystoneRefused } from './helpers/refusals.js';

test('null descriptions are kept and shown as null, as Keystone keeps them', async (t) => {
  const database = await createTestDatabase('identity-null-descriptions');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;

  // What each kind shows when created without a description: '' for projects and domains, null for roles, and
  // no key at all for users (Keystone keeps theirs among the extras).
  const absent = { project: '', domain: '', role: null, user: undefined };
  for (const [kind, extra] of [
    ['project', {}],
    ['domain', {}],
    ['user', { email: null, default_project_id: null }],
    ['role', {}],
  ] as const) {
    const created = await api.call('POST', `/v3/${kind}s`, { token: admin, body: { [kind]: { name: `n-${kind}`, description: null, ...extra } } });
    t.is(created.status, 201, `${kind} create: ${JSON.stringify(created.body)}`);
    t.is(created.body[kind].description, kind === 'user' ? undefined : null, `${kind}: null kept`);
    const id = created.body[kind].id;
    if (kind !== 'user') t.is((await api.call('GET', `/v3/${kind}s/${id}`, { token: admin })).body[kind].description, null, `${kind}: null stored`);
    t.is((await api.call('PATCH', `/v3/${kind}s/${id}`, { token: admin, body: { [kind]: { description: 'set' } } })).body[kind].description, 'set');
    const cleared = await api.call('PATCH', `/v3/${kind}s/${id}`, { token: admin, body: { [kind]: { description: null } } });
    t.is(cleared.status, 200, `${kind} update: ${JSON.stringify(cleared.body)}`);
    t.is(cleared.body[kind].description, kind === 'user' ? undefined : null);
    t.is(
      (await api.call('GET', `/v3/${kind}s/${id}`, { token: admin })).body[kind].description,
      kind === 'user' ? undefined : null,
      `${kind}: stored`,
    );

    const plain = await api.call('POST', `/v3/${kind}s`, { token: admin, body: { [kind]: { name: `plain-${kind}` } } });
    t.is(plain.status, 201, `${kind} create: ${JSON.stringify(plain.body)}`);
    t.is(plain.body[kind].description, absent[kind], `${kind}: none given`);
    t.false(kind === 'user' && 'description' in plain.body.user, 'a user made without a description has no description key');
  }
  // A description must still be a string when it is not null.
  const wrong = await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: 'p2', description: 5 } } });
  keystoneRefused(t, wrong, 400, /description/);
  const longDomain = await api.call('POST', '/v3/domains', { token: admin, body: { domain: { name: 'd2', description: 'x'.repeat(256) } } });
  keystoneRefused(t, longDomain, 400, `Invalid input for field 'description': '${'x'.repeat(256)}' is too long`);
  await server.stop();
  await database.drop();
});

test('an unknown user name costs one key derivation, as a wrong password does', async (t) => {
  const database = await createTestDatabase('identity-login-cost');
  let derivations = 0;
  const server = await startIdentityServer(database.url, {
    kdf: (...args) => {
      derivations++;
      return scrypt(...args);
    },
  });
  const api = client(server.url);
  const attempt = async (user: string, password: string, domain = 'Default') => {
    derivations = 0;
    const r = await api.login(user, password, undefined, domain);
    return { status: r.status, body: r.body, derivations };
  };
  const wrongPassword = await attempt('demo', 'not-it');
  const unknownUser = await attempt('nobody', 'not-it');
  const unknownDomain = await attempt('demo', 'not-it', 'NoSuchDomain');
  const right = await attempt('demo', DEMO_PASSWORD);
  t.is(right.status, 201);
  t.is(right.derivations, 1);
  for (const [what, r] of [
    ['wrong password', wrongPassword],
    ['unknown user', unknownUser],
    ['unknown domain', unknownDomain],
  ] as const) {
    t.is(r.status, 401, what);
    t.deepEqual(r.body, wrongPassword.body, `${what}: the same refusal`);
    t.is(r.derivations, 1, `${what}: one key derived`);
  }
  t.like(wrongPassword.body, { error: { code: 401, title: 'Unauthorized' } });

  // A disabled user costs the same too.
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.call('GET', '/v3/users?name=demo', { token: admin })).body.users[0];
  t.is((await api.call('PATCH', `/v3/users/${demo.id}`, { token: admin, body: { user: { enabled: false } } })).status, 200);
  const disabled = await attempt('demo', DEMO_PASSWORD);
  t.is(disabled.status, 401);
  t.is(disabled.derivations, 1);
  await server.stop();
  await database.drop();
});

test('revocations are pruned once every token they cover has expired', async (t) => {
  const database = await createTestDatabase('identity-revocation-pruning');
  const clock = new SimulatedClock(Date.now());
  const ttl = 60_000;
  const server = await startIdentityServer(database.url, { clock, pollMs: 1_000, tokenTtlMs: ttl });
  const api = client(server.url);
  const { Revocation } = server.db.models;
  const revocations = server.identity.services.tokens.revocations;
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;
  t.is((await api.call('DELETE', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': demo } })).status, 204);
  t.is(await Revocation.count(), 1);
  t.is(revocations.size, 1);
  t.is((await api.call('GET', '/v3/auth/projects', { token: demo })).status, 401, 'revoked');

  // Still needed while the revoked token has not expired.
  await clock.advance(ttl - 1_000);
  t.is(await Revocation.count(), 1);
  t.is(revocations.size, 1);

  // Past its expiry, the next prune drops it everywhere; the token stays refused (expired).
  await eventually(async () => {
    await clock.advance(1_000);
    return (await Revocation.count()) === 0;
  }, 10_000);
  t.is(revocations.size, 0);
  t.is((await api.call('GET', '/v3/auth/projects', { token: demo })).status, 401);
  await server.stop();
  await database.drop();
});

test('identity lists stop at list_limit, in SQL, and say they were truncated, as Keystone does', async (t) => {
  const database = await createTestDatabase('identity-list-limit');
  const server = await startIdentityServer(database.url, { listLimit: 3 });
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  // Count the rows each list reads, from the SQL the database is sent.
  const statements: string[] = [];
  server.db.sequelize.addHook('afterQuery', (options, query) => {
    const sql = (query as unknown as { sql?: string }).sql;
    if (options.type === 'SELECT' && sql) statements.push(sql);
  });
  for (let i = 0; i < 5; i++) {
    t.is((await api.call('POST', '/v3/users', { token: admin, body: { user: { name: `u${i}`, password: 'pw-pw-pw' } } })).status, 201);
    t.is((await api.call('POST', '/v3/projects', { token: admin, body: { project: { name: `p${i}` } } })).status, 201);
  }
  const users = await api.call('GET', '/v3/users', { token: admin });
  t.is(users.status, 200);
  t.is(users.body.users.length, 3);
  t.true(users.body.truncated);
  t.deepEqual(
    users.body.users.map((u: { name: string }) => u.name),
    ['admin', 'demo', 'u0'],
    'in name order',
  );
  const filtered = await api.call('GET', '/v3/users?name=u4', { token: admin });
  t.deepEqual(
    filtered.body.users.map((u: { name: string }) => u.name),
    ['u4'],
    'the filter runs before the limit',
  );
  t.is(filtered.body.truncated, undefined, 'a list within the limit is not marked');

  statements.length = 0;
  const projects = await api.call('GET', '/v3/projects', { token: admin });
  t.is(projects.body.projects.length, 3);
  t.true(projects.body.truncated);
  t.true(
    statements.some((sql) => /identity_projects/.test(sql) && /LIMIT 4/i.test(sql)),
    'the query reads one row more than the limit, no more',
  );

  const assignments = await api.call('GET', '/v3/role_assignments', { token: admin });
  t.is(assignments.body.role_assignments.length, 2, 'admin and demo hold a role each');
  t.is(assignments.body.truncated, undefined);
  t.is((await api.call('GET', '/v3/roles', { token: admin })).body.roles.length, 3);

  // A member lists only their own projects, still through SQL.
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const own = await api.call('GET', '/v3/projects', { token: demo });
  t.deepEqual(
    own.body.projects.map((p: { name: string }) => p.name),
    ['demo'],
  );
  const domains = await api.call('GET', '/v3/domains', { token: demo });
  t.deepEqual(
    domains.body.domains.map((d: { id: string }) => d.id),
    ['default'],
  );
  await server.stop();
  await database.drop();
});
