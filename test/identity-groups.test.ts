import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { openstack, openstackAs } from './helpers/cloud-process.js';
import { addCloud, startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { answer, keystoneRefused } from './helpers/refusals.js';

const FORBIDDEN = 'You are not authorized to perform the requested action.';
const UNAUTHORIZED = 'The request you have made requires authentication.';

test('groups: members, roles on projects and domains, effective assignments, and revocation on removal', async (t) => {
  const database = await createTestDatabase('identity-groups');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demoLogin = await api.login('demo', DEMO_PASSWORD, 'demo');
  const a = (method: string, path: string, body?: unknown) => api.call(method, path, { token: admin, body });
  const d = (method: string, path: string, body?: unknown) => api.call(method, path, { token: demoLogin.token!, body });
  try {
    const roles = Object.fromEntries((await a('GET', '/v3/roles')).body.roles.map((r: { name: string; id: string }) => [r.name, r.id]));
    const project = (await a('POST', '/v3/projects', { project: { name: 'team' } })).body.project;
    const user = (await a('POST', '/v3/users', { user: { name: 'gina', password: 'gina-pw' } })).body.user;
    const created = await a('POST', '/v3/groups', { group: { name: 'devs', description: 'developers' } });
    t.is(created.status, 201);
    t.like(created.body.group, { name: 'devs', domain_id: 'default', description: 'developers' });
    const group = created.body.group.id;
    keystoneRefused(
      t,
      await a('POST', '/v3/groups', { group: { name: 'devs' } }),
      409,
      'Conflict occurred attempting to store group - Duplicate entry found with name devs at domain ID default.',
    );
    keystoneRefused(t, await d('POST', '/v3/groups', { group: { name: 'mine' } }), 403, FORBIDDEN);
    keystoneRefused(t, await d('GET', '/v3/groups'), 403, FORBIDDEN);
    keystoneRefused(t, await d('PUT', `/v3/groups/${group}/users/${demoLogin.body.token.user.id}`), 403, FORBIDDEN);
    t.is((await a('PATCH', `/v3/groups/${group}`, { group: { description: 'the developers' } })).body.group.description, 'the developers');
    t.deepEqual(
      (await a('GET', '/v3/groups?name=devs')).body.groups.map((g: { id: string }) => g.id),
      [group],
    );

    // Without a role the user cannot scope to the project.
    keystoneRefused(t, await api.login('gina', 'gina-pw', 'team'), 401, `User ${user.id} has no access to project ${project.id}`);
    t.is((await a('PUT', `/v3/projects/${project.id}/groups/${group}/roles/${roles.member}`)).status, 204);
    t.is((await a('PUT', `/v3/domains/default/groups/${group}/roles/${roles.reader}`)).status, 204);
    t.is((await a('HEAD', `/v3/projects/${project.id}/groups/${group}/roles/${roles.member}`)).status, 204);
    t.deepEqual(
      (await a('GET', `/v3/projects/${project.id}/groups/${group}/roles`)).body.roles.map((r: { name: string }) => r.name),
      ['member'],
    );
    t.is((await a('HEAD', `/v3/groups/${group}/users/${user.id}`)).status, 404);
    keystoneRefused(t, await a('GET', `/v3/groups/${group}/users/${user.id}`), 404, `User '${user.id}' not found in group '${group}'`);
    keystoneRefused(t, await a('DELETE', `/v3/groups/${group}/users/${user.id}`), 404, `User '${user.id}' not found in group '${group}'`);
    t.is((await a('PUT', `/v3/groups/${group}/users/${user.id}`)).status, 204);
    t.is((await a('HEAD', `/v3/groups/${group}/users/${user.id}`)).status, 204);
    t.deepEqual(
      (await a('GET', `/v3/groups/${group}/users`)).body.users.map((u: { name: string }) => u.name),
      ['gina'],
    );

    // Now the user holds member (and reader, implied) on the project only through the group.
    const gina = await api.login('gina', 'gina-pw', 'team');
    t.is(gina.status, 201);
    t.deepEqual(gina.body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
    const g = (method: string, path: string) => api.call(method, path, { token: gina.token! });
    t.deepEqual(
      (await g('GET', `/v3/users/${user.id}/groups`)).body.groups.map((x: { name: string; membership_expires_at: null }) => [
        x.name,
        x.membership_expires_at,
      ]),
      [['devs', null]],
      'a user lists their own groups',
    );
    keystoneRefused(t, await g('GET', `/v3/users/${demoLogin.body.token.user.id}/groups`), 403, FORBIDDEN);
    t.deepEqual(
      (await g('GET', '/v3/auth/projects')).body.projects.map((p: { name: string }) => p.name),
      ['team'],
    );
    const domainToken = await api.call('POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { id: user.id, password: 'gina-pw' } } },
          scope: { domain: { id: 'default' } },
        },
      },
    });
    t.deepEqual(
      domainToken.body.token.roles.map((r: { name: string }) => r.name),
      ['reader'],
      'a group role on a domain scopes to it',
    );

    // role_assignments: the group's own row; effective, the user's row through the group, implied roles too.
    const plain = (await a('GET', `/v3/role_assignments?scope.project.id=${project.id}`)).body.role_assignments;
    t.deepEqual(plain, [
      {
        role: { id: roles.member },
        group: { id: group },
        scope: { project: { id: project.id } },
        links: { assignment: `${server.url}/v3/projects/${project.id}/groups/${group}/roles/${roles.member}` },
      },
    ]);
    const effective = (await g('GET', `/v3/role_assignments?user.id=${user.id}&effective`)).body.role_assignments;
    t.deepEqual(
      effective
        .map((x: { role: { id: string }; scope: Record<string, { id: string }>; user: { id: string } }) => [
          x.user.id,
          Object.keys(x.scope)[0],
          x.role.id,
        ])
        .sort(),
      [
        [user.id, 'domain', roles.reader],
        [user.id, 'project', roles.member],
        [user.id, 'project', roles.reader],
      ].sort(),
    );
    t.deepEqual(effective.find((x: { role: { id: string }; scope: { project?: unknown } }) => x.role.id === roles.member).links, {
      assignment: `${server.url}/v3/projects/${project.id}/groups/${group}/roles/${roles.member}`,
      membership: `${server.url}/v3/groups/${group}/users/${user.id}`,
    });
    const named = (await a('GET', `/v3/role_assignments?group.id=${group}&include_names`)).body.role_assignments;
    t.true(named.every((x: { group: { name: string } }) => x.group.name === 'devs'));
    keystoneRefused(t, await g('GET', `/v3/role_assignments?group.id=${group}`), 403, FORBIDDEN);

    // Removing the user from the group revokes the tokens issued before, and the role with it.
    t.is((await g('GET', '/v3/auth/projects')).status, 200);
    t.is((await a('DELETE', `/v3/groups/${group}/users/${user.id}`)).status, 204);
    keystoneRefused(t, await g('GET', '/v3/auth/projects'), 401, UNAUTHORIZED);
    keystoneRefused(
      t,
      await api.call('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': gina.token! } }),
      404,
      /^Could not find token/,
    );
    keystoneRefused(t, await api.login('gina', 'gina-pw', 'team'), 401, `User ${user.id} has no access to project ${project.id}`);

    // A group deleted with members and roles takes its assignments; its members' tokens go.
    t.is((await a('PUT', `/v3/groups/${group}/users/${user.id}`)).status, 204);
    const again = await api.login('gina', 'gina-pw', 'team');
    t.is(again.status, 201);
    t.is((await a('DELETE', `/v3/groups/${group}`)).status, 204);
    keystoneRefused(t, await api.call('GET', '/v3/auth/projects', { token: again.token! }), 401, UNAUTHORIZED);
    t.deepEqual((await a('GET', `/v3/role_assignments?scope.project.id=${project.id}`)).body.role_assignments, []);
    keystoneRefused(t, await a('GET', `/v3/groups/${group}`), 404, `Could not find group: ${group}.`);
  } finally {
    await server.stop();
    await database.drop();
  }
});

test('openstack CLI: a user who holds a role only through a group lists servers, and loses it when removed', async (t) => {
  const c = await startTestCloud('groups-osc');
  const { os, ok } = openstackAs(t, c.cloudsYaml, 'stratus');
  try {
    await ok('project', 'create', 'grouped', '-f', 'json');
    await ok('user', 'create', '--password', 'gp-pw', 'grouper', '-f', 'json');
    const group = await ok('group', 'create', '--description', 'compute users', 'operators', '-f', 'json');
    t.is(group.name, 'operators');
    await ok('group', 'add', 'user', 'operators', 'grouper');
    t.regex((await os('group', 'contains', 'user', 'operators', 'grouper')).stdout, /grouper in group operators/);
    await ok('role', 'add', '--group', 'operators', '--project', 'grouped', 'member');
    t.true(
      (await ok('role', 'assignment', 'list', '--names', '--effective', '--user', 'grouper', '-f', 'json')).some(
        (x: Record<string, string>) => x.Role === 'member' && x.Project === 'grouped@Default',
      ),
    );
    t.deepEqual(
      (await ok('group', 'list', '--user', 'grouper', '-f', 'json')).map((g: { Name: string }) => g.Name),
      ['operators'],
    );
    addCloud(c, 'grouper', 'grouper', 'gp-pw', 'grouped');
    const asGrouper = (...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', 'grouper', ...args]);
    const listed = await asGrouper('server', 'list', '-f', 'json');
    t.is(listed.code, 0, listed.stderr);
    t.deepEqual(listed.json, []);

    // A token taken now, used after the removal, is refused by the compute API too.
    const issued = await asGrouper('token', 'issue', '-f', 'json');
    const token = issued.json.id as string;
    const catalog = (await (await fetch(`http://127.0.0.1:${c.port}/v3/auth/catalog`, { headers: { 'x-auth-token': token } })).json()) as {
      catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>;
    };
    const computeUrl = catalog.catalog.find((s) => s.type === 'compute')!.endpoints.find((e) => e.interface === 'public')!.url;
    t.is((await fetch(`${computeUrl}/servers`, { headers: { 'x-auth-token': token } })).status, 200);

    await ok('group', 'remove', 'user', 'operators', 'grouper');
    const contains = await os('group', 'contains', 'user', 'operators', 'grouper');
    t.regex(contains.stdout + contains.stderr, /grouper not in group operators/);
    await eventually(async () => (await fetch(`${computeUrl}/servers`, { headers: { 'x-auth-token': token } })).status === 401);
    keystoneRefused(t, await answer(await fetch(`${computeUrl}/servers`, { headers: { 'x-auth-token': token } })), 401, UNAUTHORIZED);
    const refused = await asGrouper('server', 'list');
    t.not(refused.code, 0);
    t.regex(refused.stderr, /has no access to project .* \(HTTP 401\)/);
    await ok('group', 'delete', 'operators');
  } finally {
    await stopTestCloud(c);
  }
});
