import type { ComputeCloud } from './compute.js';

/** A new user holding `role` on an existing project, logged in there: their id and token. */
export async function userWithRole(
  c: ComputeCloud,
  name: string,
  role: string,
  projectName: string,
): Promise<{ id: string; token: string; projectId: string }> {
  const password = `${name}-secret`;
  const created = await c.keystone.call('POST', '/v3/users', { token: c.admin, body: { user: { name, password } } });
  if (created.status !== 201) throw new Error(`user ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const roles = await c.keystone.call('GET', '/v3/roles', { token: c.admin });
  const roleId = roles.body.roles.find((r: { name: string }) => r.name === role).id;
  const projects = await c.keystone.call('GET', '/v3/projects', { token: c.admin });
  const projectId = projects.body.projects.find((p: { name: string }) => p.name === projectName).id;
  const granted = await c.keystone.call('PUT', `/v3/projects/${projectId}/users/${created.body.user.id}/roles/${roleId}`, { token: c.admin });
  if (granted.status !== 204) throw new Error(`role ${role} for ${name}: ${granted.status}`);
  const login = await c.keystone.login(name, password, projectName);
  return { id: created.body.user.id, token: login.token!, projectId };
}

/** The ids of a project and of a user, by name. */
export async function idsOf(c: ComputeCloud, projectName: string, userName: string): Promise<{ projectId: string; userId: string }> {
  const projects = await c.keystone.call('GET', '/v3/projects', { token: c.admin });
  const users = await c.keystone.call('GET', '/v3/users', { token: c.admin });
  return {
    projectId: projects.body.projects.find((p: { name: string }) => p.name === projectName).id,
    userId: users.body.users.find((u: { name: string }) => u.name === userName).id,
  };
}
