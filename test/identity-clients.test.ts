import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { freePort, openstack, openstackAs, python, startCloudProcess } from './helpers/cloud-process.js';
import { addCloud, startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { answer, keystoneRefused } from './helpers/refusals.js';

const inThisPass = clientsPass('sqlite');
const run = inThisPass ? test : test.skip;

// Debian's python3-openstackclient and python3-openstacksdk against `stratus start`.

run('operators manage identity with the openstack CLI, and Keystone refusals reach it', async (t) => {
  const c = await startTestCloud('osc');
  const { os, ok } = openstackAs(t, c.cloudsYaml, 'stratus');

  const token = await ok('token', 'issue', '-f', 'json');
  t.regex(token.id, /\S{40,}/);
  t.truthy(token.project_id);
  const catalog = await ok('catalog', 'list', '-f', 'json');
  t.deepEqual(catalog.map((s: { Type: string }) => s.Type).sort(), ['compute', 'identity', 'image', 'network']);

  const domain = await ok('domain', 'create', '--description', 'test domain', 'd1', '-f', 'json');
  t.is(domain.name, 'd1');
  t.true((await ok('domain', 'list', '-f', 'json')).some((d: { Name: string }) => d.Name === 'd1'));
  t.is((await ok('domain', 'show', 'd1', '-f', 'json')).description, 'test domain');
  const project = await ok('project', 'create', '--domain', 'd1', 'p1', '-f', 'json');
  t.is(project.domain_id, domain.id);
  t.is((await ok('project', 'show', '--domain', 'd1', 'p1', '-f', 'json')).id, project.id);
  t.true((await ok('project', 'list', '--domain', 'd1', '-f', 'json')).some((p: { Name: string }) => p.Name === 'p1'));
  await ok('project', 'set', '--domain', 'd1', '--description', 'changed', 'p1');
  t.is((await ok('project', 'show', '--domain', 'd1', 'p1', '-f', 'json')).description, 'changed');
  const duplicate = await os('project', 'create', '--domain', 'd1', 'p1');
  t.not(duplicate.code, 0);
  t.regex(
    duplicate.stderr,
    new RegExp(`Conflict occurred attempting to store project - Duplicate entry found with name p1 at domain ID ${domain.id}\\. \\(HTTP 409\\)`),
  );

  const user = await ok('user', 'create', '--domain', 'd1', '--project', 'p1', '--project-domain', 'd1', '--password', 'pw1', 'u1', '-f', 'json');
  t.is(user.default_project_id, project.id);
  t.deepEqual(
    (await ok('user', 'list', '--domain', 'd1', '-f', 'json')).map((u: { Name: string }) => u.Name),
    ['u1'],
  );
  await ok('user', 'set', '--domain', 'd1', '--email', 'u1@example.org', 'u1');
  t.is((await ok('user', 'show', '--domain', 'd1', 'u1', '-f', 'json')).email, 'u1@example.org');
  const role = await ok('role', 'create', 'r1', '-f', 'json');
  t.is((await ok('role', 'show', 'r1', '-f', 'json')).id, role.id);
  await ok('role', 'set', '--description', 'test role', 'r1');
  t.true((await ok('role', 'list', '-f', 'json')).some((r: { Name: string }) => r.Name === 'r1'));
  await ok('role', 'add', '--domain', 'd1', '--user', 'u1', '--user-domain', 'd1', 'reader');
  t.true(
    (await ok('role', 'assignment', 'list', '--names', '--domain', 'd1', '-f', 'json')).some(
      (a: Record<string, string>) => a.Role === 'reader' && a.Domain === 'd1',
    ),
  );
  await ok('role', 'remove', '--domain', 'd1', '--user', 'u1', '--user-domain', 'd1', 'reader');
  await ok('role', 'add', '--project', 'p1', '--project-domain', 'd1', '--user', 'u1', '--user-domain', 'd1', 'member');
  await ok('role', 'add', '--project', 'p1', '--project-domain', 'd1', '--user', 'u1', '--user-domain', 'd1', 'r1');
  const assignments = await ok('role', 'assignment', 'list', '--names', '-f', 'json');
  t.true(assignments.some((a: Record<string, string>) => a.Role === 'member' && a.User === 'u1@d1' && a.Project === 'p1@d1'));
  t.true(assignments.some((a: Record<string, string>) => a.Role === 'r1' && a.User === 'u1@d1'));
  await ok('role', 'remove', '--project', 'p1', '--project-domain', 'd1', '--user', 'u1', '--user-domain', 'd1', 'r1');
  t.false((await ok('role', 'assignment', 'list', '--names', '-f', 'json')).some((a: Record<string, string>) => a.Role === 'r1'));

  // The user changes their own password with the old one.
  addCloud(c, 'u1', 'u1', 'pw1', 'p1', 'd1');
  const asU1 = (...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', 'u1', ...args]);
  t.is((await asU1('token', 'issue', '-f', 'json')).json?.project_id, project.id);
  const wrongOld = await asU1('user', 'password', 'set', '--password', 'pw2', '--original-password', 'wrong');
  t.not(wrongOld.code, 0, 'the old password must be right');
  t.regex(wrongOld.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);
  t.is((await asU1('user', 'password', 'set', '--password', 'pw2', '--original-password', 'pw1')).code, 0);
  const stale = await asU1('token', 'issue');
  t.regex(stale.stderr, /The request you have made requires authentication\. \(HTTP 401\)/, 'the old password no longer works');
  addCloud(c, 'u1new', 'u1', 'pw2', 'p1', 'd1');
  t.is((await openstack(c.cloudsYaml, ['--os-cloud', 'u1new', 'token', 'issue', '-f', 'json'])).code, 0);

  // A member may not manage users.
  addCloud(c, 'memberonly', 'u1', 'pw2', 'p1', 'd1');
  const denied = await openstack(c.cloudsYaml, ['--os-cloud', 'memberonly', 'user', 'create', '--domain', 'd1', '--password', 'x', 'u2']);
  t.regex(denied.stderr, /You are not authorized to perform the requested action\. \(HTTP 403\)/);

  // A disabled user cannot authenticate.
  await ok('user', 'set', '--domain', 'd1', '--disable', 'u1');
  t.regex(
    (await openstack(c.cloudsYaml, ['--os-cloud', 'u1new', 'token', 'issue'])).stderr,
    /The request you have made requires authentication\. \(HTTP 401\)/,
  );
  const wrong = await openstack(c.cloudsYaml, ['--os-cloud', 'u1', 'token', 'issue']);
  t.regex(wrong.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);

  // Revoke a token, then clean up.
  const revoked = await ok('token', 'issue', '-f', 'json');
  await ok('token', 'revoke', revoked.id);
  const after = await fetch(`http://127.0.0.1:${c.port}/v3/auth/projects`, { headers: { 'x-auth-token': revoked.id } });
  keystoneRefused(t, await answer(after), 401, 'The request you have made requires authentication.');
  await ok('user', 'delete', '--domain', 'd1', 'u1');
  await ok('role', 'delete', 'r1');
  await ok('project', 'delete', '--domain', 'd1', 'p1');
  await ok('domain', 'set', '--disable', 'd1');
  await ok('domain', 'delete', 'd1');
  t.false((await ok('domain', 'list', '-f', 'json')).some((d: { Name: string }) => d.Name === 'd1'));
  await stopTestCloud(c);
});

const SDK_SCRIPT = `
import json, openstack
admin = openstack.connect(cloud='stratus')
idn = admin.identity
domain = idn.find_domain('default')
made = []
for i in range(20):
    # What Tempest's dynamic credentials do for each test class.
    project = idn.create_project(name='tempest-p%d' % i, domain_id=domain.id)
    user = idn.create_user(name='tempest-u%d' % i, password='pw%d' % i, domain_id=domain.id, default_project_id=project.id)
    member = idn.find_role('member')
    idn.assign_project_role_to_user(project, user, member)
    conn = openstack.connect(auth_url=admin.config.config['auth']['auth_url'], username=user.name, password='pw%d' % i,
                             project_name=project.name, user_domain_name='Default', project_domain_name='Default',
                             identity_api_version='3')
    made.append(conn.identity.get_user(user.id).name == user.name and conn.current_project_id == project.id)
    idn.delete_user(user)
    idn.delete_project(project)
left = [p.name for p in idn.projects() if p.name.startswith('tempest-')]
roles = sorted(r.name for r in idn.roles())
print(json.dumps({'ok': made, 'left': left, 'roles': roles}))
`;

run('openstacksdk: Tempest-style dynamic credentials, twenty times over', async (t) => {
  const c = await startTestCloud('sdk');
  const r = await python(c.cloudsYaml, SDK_SCRIPT);
  t.is(r.code, 0, r.stderr);
  t.is(r.json.ok.length, 20);
  t.true(r.json.ok.every(Boolean), 'every generated user authenticated into its own project');
  t.deepEqual(r.json.left, [], 'and everything made was deleted');
  t.deepEqual(r.json.roles, ['admin', 'member', 'reader']);
  await stopTestCloud(c);
});

run('revocations reach a second API node; tokens, revocations and passwords survive a restart', async (t) => {
  const c = await startTestCloud('restart');
  // A second node on the same database and state directory (its key for EC2 secrets is shared).
  const secondPort = await freePort();
  const second = await startCloudProcess({
    ...c.env,
    STRATUS_NODE_ID: 'node-2',
    STRATUS_LISTEN_IDENTITY: String(secondPort),
    STRATUS_LISTEN_IMAGE: '0',
    STRATUS_LISTEN_NETWORK: '0',
    STRATUS_LISTEN_COMPUTE: '0',
    STRATUS_LISTEN_ADMIN: '0',
    STRATUS_ROLES: 'api',
    STRATUS_LOG_LEVEL: 'info',
  });
  const probe = (port: number, token: string) =>
    fetch(`http://127.0.0.1:${port}/v3/auth/projects`, { headers: { 'x-auth-token': token } }).then((r) => r.status);

  const kept = (await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'token', 'issue', '-f', 'json'])).json.id;
  const revoked = (await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'token', 'issue', '-f', 'json'])).json.id;
  t.is(await probe(secondPort, revoked), 200);
  t.is((await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'token', 'revoke', revoked])).code, 0);
  t.is(await probe(c.port, revoked), 401);
  const deadline = Date.now() + 30_000;
  while ((await probe(secondPort, revoked)) !== 401 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.is(await probe(secondPort, revoked), 401, 'refused by the second node too');
  t.is(await second.stop(), 0);

  t.is(await c.cloud.stop(), 0);
  c.cloud = await startCloudProcess(c.env);
  t.is(await probe(c.port, kept), 200, 'a token stays valid across a restart');
  t.is(await probe(c.port, revoked), 401, 'a revoked token stays revoked');
  const again = await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'token', 'issue', '-f', 'json']);
  t.is(again.code, 0, 'the admin password from the first start still works');
  t.is(again.json.user_id, (await openstack(c.cloudsYaml, ['--os-cloud', 'stratus', 'user', 'show', 'admin', '-f', 'json'])).json.id);
  await stopTestCloud(c);
});
