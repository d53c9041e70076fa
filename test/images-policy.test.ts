import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './helpers/database.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client, startImageServer } from './helpers/identity.js';

/** A new user holding only `role` on the named project, logged in there. */
async function userWith(keystone: ReturnType<typeof client>, admin: string, name: string, role: string, project: string): Promise<string> {
  const user = (await keystone.call('POST', '/v3/users', { token: admin, body: { user: { name, password: `${name}-pw` } } })).body.user;
  const roleId = (await keystone.call('GET', `/v3/roles?name=${role}`, { token: admin })).body.roles[0].id;
  const projectId = (await keystone.call('GET', `/v3/projects?name=${project}`, { token: admin })).body.projects[0].id;
  const granted = await keystone.call('PUT', `/v3/projects/${projectId}/users/${user.id}/roles/${roleId}`, { token: admin });
  if (granted.status !== 204) throw new Error(`grant: ${granted.status}`);
  return (await keystone.login(name, `${name}-pw`, project)).token!;
}

test("a reader reads its project's images and is refused every write with Glance's 403; a member writes", async (t) => {
  const database = await createTestDatabase('images-policy');
  const server = await startImageServer(database.url);
  const keystone = client(server.identity.url);
  const glance = client(server.url);
  const admin = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const demo = (await keystone.login('demo', DEMO_PASSWORD, 'demo')).token!;
  const reader = await userWith(keystone, admin, 'watcher', 'reader', 'demo');
  const raw = (method: string, path: string, token: string, body?: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers: { 'x-auth-token': token, ...headers }, body: body ? new Uint8Array(body) : undefined });

  const image = (
    await glance.call('POST', '/v2/images', { token: demo, body: { name: 'members-own', disk_format: 'raw', container_format: 'bare' } })
  ).body;
  const queued = (
    await glance.call('POST', '/v2/images', {
      token: demo,
      body: { name: 'queued', disk_format: 'raw', container_format: 'bare', visibility: 'shared' },
    })
  ).body;
  t.is((await raw('PUT', `/v2/images/${image.id}/file`, demo, randomBytes(4096), { 'content-type': 'application/octet-stream' })).status, 204);

  // Reads are open to the reader.
  t.is((await glance.call('GET', `/v2/images/${image.id}`, { token: reader })).status, 200);
  t.true((await glance.call('GET', '/v2/images', { token: reader })).body.images.some((i: { id: string }) => i.id === image.id));
  t.is((await glance.call('GET', `/v2/images/${queued.id}/members`, { token: reader })).status, 200);

  const refusals: Array<[string, () => Promise<{ status: number; body: unknown }>, string]> = [
    ['create', () => glance.call('POST', '/v2/images', { token: reader, body: { name: 'nope' } }), 'add_image'],
    [
      'patch',
      () =>
        glance.call('PATCH', `/v2/images/${image.id}`, {
          token: reader,
          body: [{ op: 'replace', path: '/name', value: 'renamed' }],
          headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
        }),
      'modify_image',
    ],
    ['add tag', () => glance.call('PUT', `/v2/images/${image.id}/tags/x`, { token: reader }), 'modify_image'],
    ['deactivate', () => glance.call('POST', `/v2/images/${image.id}/actions/deactivate`, { token: reader }), 'deactivate'],
    [
      'upload',
      async () => {
        const r = await raw('PUT', `/v2/images/${queued.id}/file`, reader, randomBytes(100), { 'content-type': 'application/octet-stream' });
        return { status: r.status, body: await r.json() };
      },
      'upload_image',
    ],
    [
      'download',
      async () => {
        const r = await raw('GET', `/v2/images/${image.id}/file`, reader);
        return { status: r.status, body: await r.json() };
      },
      'download_image',
    ],
    ['add member', () => glance.call('POST', `/v2/images/${queued.id}/members`, { token: reader, body: { member: 'someone' } }), 'add_member'],
    ['delete', () => glance.call('DELETE', `/v2/images/${image.id}`, { token: reader }), 'delete_image'],
  ];
  for (const [what, call, action] of refusals) {
    const r = await call();
    t.is(r.status, 403, what);
    t.deepEqual(r.body, { code: 403, title: 'Forbidden', message: `You are not authorized to complete ${action} action.` }, what);
  }

  // Nothing changed.
  const after = (await glance.call('GET', `/v2/images/${image.id}`, { token: demo })).body;
  t.like(after, { name: 'members-own', status: 'active', tags: [] });
  t.is((await glance.call('GET', `/v2/images/${queued.id}`, { token: demo })).body.status, 'queued');
  t.deepEqual((await glance.call('GET', `/v2/images/${queued.id}/members`, { token: demo })).body.members, []);
  t.false((await glance.call('GET', '/v2/images?name=nope', { token: admin })).body.images.length > 0);

  // The member does each of them.
  t.is((await raw('GET', `/v2/images/${image.id}/file`, demo)).status, 200);
  t.is((await glance.call('PUT', `/v2/images/${image.id}/tags/x`, { token: demo })).status, 204);
  t.is((await glance.call('DELETE', `/v2/images/${image.id}`, { token: demo })).status, 204);
  await server.stop();
  await database.drop();
});
