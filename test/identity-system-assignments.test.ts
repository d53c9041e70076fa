// Role assignments on the system (/v3/system/{users,groups}/{id}/roles), as openstacksdk's functional tests
// `cloud.test_identity.test_grant_revoke_role_{user,group}_system` drive them (found by `npm run sdk-functional`).
import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startIdentityServer } from './helpers/identity.js';
import { keystoneRefused } from './helpers/refusals.js';

const FORBIDDEN = 'You are not authorized to perform the requested action.';

test('system role assignments: granted, checked, listed with scope system all, revoked; admin only; no project access', async (t) => {
  const database = await createTestDatabase('identity-system-assignments');
  const server = await startIdentityServer(database.url);
  const api = client(server.url);
  const admin = (await api.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await api.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const a = (method: string, path: string, body?: unknown) => api.call(method, path, { token: admin, body });
  const d = (method: string, path: string, body?: unknown) => api.call(method, path, { token: demo, body });
  try {
    const role = (await a('POST', '/v3/roles', { role: { name: 'auditor' } })).body.role;
    const project = (await a('POST', '/v3/projects', { project: { name: 'sys-team' } })).body.project;
    const user = (await a('POST', '/v3/users', { user: { name: 'sam', password: 'sam-pw', default_project_id: project.id } })).body.user;
    const group = (await a('POST', '/v3/groups', { group: { name: 'operators' } })).body.group;

    for (const [kind, actor] of [
      ['users', user.id],
      ['groups', group.id],
    ] as const) {
      const grant = `/v3/system/${kind}/${actor}/roles/${role.id}`;
      const actorKey = kind === 'users' ? 'user' : 'group';
      keystoneRefused(t, await a('GET', grant), 404, `Could not find role assignment: ${role.id}.`);
      t.is((await a('HEAD', grant)).status, 404);
      keystoneRefused(t, await d('PUT', grant), 403, FORBIDDEN);
      keystoneRefused(t, await a('PUT', `/v3/system/${kind}/${actor}/roles/no-such-role`), 404, 'Could not find role: no-such-role.');
      t.is((await a('PUT', grant)).status, 204);
      t.is((await a('PUT', grant)).status, 204, 'granting twice is no error');
      t.is((await a('HEAD', grant)).status, 204);
      t.is((await a('GET', grant)).status, 204);
      const held = await a('GET', `/v3/system/${kind}/${actor}/roles`);
      t.is(held.status, 200);
      t.deepEqual(
        held.body.roles.map((r: { id: string }) => r.id),
        [role.id],
      );

      const listed = await a('GET', `/v3/role_assignments?scope.system=all&${actorKey}.id=${actor}&role.id=${role.id}`);
      t.is(listed.status, 200);
      t.is(listed.body.role_assignments.length, 1);
      t.deepEqual(listed.body.role_assignments[0].scope, { system: { all: true } });
      t.deepEqual(listed.body.role_assignments[0][actorKey], { id: actor });
      t.regex(listed.body.role_assignments[0].links.assignment, new RegExp(`/v3/system/${kind}/${actor}/roles/${role.id}$`));
      const named = await a('GET', `/v3/role_assignments?scope.system=all&${actorKey}.id=${actor}&include_names=true`);
      t.deepEqual(named.body.role_assignments[0].scope, { system: { all: true } });
      t.is(named.body.role_assignments[0].role.name, 'auditor');
      // A project's assignments do not show the system one.
      t.deepEqual((await a('GET', `/v3/role_assignments?scope.project.id=${project.id}&${actorKey}.id=${actor}`)).body.role_assignments, []);

      t.is((await a('DELETE', grant)).status, 204);
      keystoneRefused(t, await a('DELETE', grant), 404, `Could not find role assignment: ${role.id}.`);
      t.is((await a('HEAD', grant)).status, 404);
      t.deepEqual((await a('GET', `/v3/role_assignments?scope.system=all&${actorKey}.id=${actor}`)).body.role_assignments, []);
    }

    // A role on the system gives no project: this cloud issues no system-scoped token.
    t.is((await a('PUT', `/v3/system/users/${user.id}/roles/${role.id}`)).status, 204);
    keystoneRefused(t, await api.login('sam', 'sam-pw', 'sys-team'), 401, `User ${user.id} has no access to project ${project.id}`);
    // Deleting the role takes its system assignments with it.
    t.is((await a('DELETE', `/v3/roles/${role.id}`)).status, 204);
    t.deepEqual((await a('GET', `/v3/role_assignments?scope.system=all&user.id=${user.id}`)).body.role_assignments, []);
  } finally {
    await server.stop();
    await database.drop();
  }
});
