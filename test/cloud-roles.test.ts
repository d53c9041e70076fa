import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { freePort, startCloudProcess, type CloudProcess } from './helpers/cloud-process.js';
import { stopLeftoverHypervisors } from './helpers/test-cloud.js';
import { ADMIN_PASSWORD } from './helpers/identity.js';
import { TINY_IMAGE_ID } from './helpers/compute.js';

// Nodes with restricted roles on one shared database, each its own process (no Redis: each delivers in-process,
// so only what the tables carry crosses between them, as os-services does). A node runs only what its roles say.

const dir = mkdtempSync(join(tmpdir(), 'stratus-roles-'));

async function node(name: string, roles: string, database: string, extra: Record<string, string> = {}) {
  const ports = {
    identity: await freePort(),
    image: await freePort(),
    network: await freePort(),
    compute: await freePort(),
    admin: await freePort(),
  };
  const cloud = await startCloudProcess({
    STRATUS_NODE_ID: name,
    STRATUS_ROLES: roles,
    DATABASE_URL: database,
    STRATUS_STATE_DIR: join(dir, name),
    STRATUS_LISTEN_OPS: '0',
    STRATUS_LISTEN_IDENTITY: String(ports.identity),
    STRATUS_LISTEN_IMAGE: String(ports.image),
    STRATUS_LISTEN_NETWORK: String(ports.network),
    STRATUS_LISTEN_COMPUTE: String(ports.compute),
    STRATUS_LISTEN_ADMIN: String(ports.admin),
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, `${name}-clouds.yaml`),
    STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_TIMEOUTS_REPORT_INTERVAL_MS: '500',
    STRATUS_LOG_LEVEL: 'info',
    ...extra,
  });
  return { cloud, ports, started: cloud.started(), stateDir: join(dir, name) };
}

const refusedConnection = async (port: number) => {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
    return false;
  } catch (error) {
    return /ECONNREFUSED/.test(String((error as Error).cause));
  }
};

async function adminToken(identityUrl: string): Promise<string> {
  const r = await fetch(`${identityUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', password: ADMIN_PASSWORD, domain: { name: 'Default' } } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`login: ${r.status} ${await r.text()}`);
  return r.headers.get('x-subject-token')!;
}

const get = async (url: string, token?: string) => {
  const r = await fetch(url, { headers: token ? { 'x-auth-token': token } : {} });
  return { status: r.status, body: await r.json() };
};

test('api, compute and scheduler nodes each run only their part; os-services shows each node’s services from the tables', async (t) => {
  const database = await createTestDatabase('cloud-roles');
  const running: Array<{ cloud: CloudProcess; stateDir: string }> = [];
  t.teardown(async () => {
    for (const n of running) {
      await n.cloud.stop();
      await stopLeftoverHypervisors(n.stateDir);
    }
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });

  // api alone: the HTTP services answer, nothing is scheduled or driven here.
  const api = await node('api-1', 'api', database.url);
  running.push(api);
  t.like(api.started, { node: 'api-1', roles: ['api'], hosts: [] });
  t.truthy(api.started.compute);
  t.truthy(api.started.admin);
  const nova = `http://127.0.0.1:${api.ports.compute}`;
  const versions = await get(`${nova}/`);
  t.is(versions.status, 200);
  t.true(versions.body.versions.some((v: any) => v.id === 'v2.1' && v.status === 'CURRENT'));
  t.is((await get(`http://127.0.0.1:${api.ports.identity}/v3`)).status, 200);
  t.is((await get(`http://127.0.0.1:${api.ports.image}/versions`)).status, 200);
  const token = await adminToken(`http://127.0.0.1:${api.ports.identity}`);
  t.deepEqual((await get(`${nova}/v2.1/servers`, token)).body, { servers: [] });
  t.true((await get(`${nova}/v2.1/flavors`, token)).body.flavors.some((f: any) => f.name === 'm1.tiny'));
  t.deepEqual((await get(`${nova}/v2.1/os-services`, token)).body, { services: [] }, 'no scheduler and no compute service on an api node');
  t.deepEqual((await get(`${nova}/v2.1/os-hypervisors`, token)).body, { hypervisors: [] });
  // Without Redis no other node is reachable, and an api node may hold no instance: the boot is refused, nothing is made.
  const boot = await fetch(`${nova}/v2.1/servers`, {
    method: 'POST',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ server: { name: 'nowhere', imageRef: TINY_IMAGE_ID, flavorRef: '1' } }),
  });
  t.is(boot.status, 503);
  const refused = (await boot.json()) as { serviceUnavailable: { code: number; message: string } };
  t.is(refused.serviceUnavailable.code, 503);
  t.regex(refused.serviceUnavailable.message, /^no live node can run instance [0-9a-f-]{36} now$/);
  t.deepEqual((await get(`${nova}/v2.1/servers`, token)).body, { servers: [] });
  const apiNodes = (await get(`http://127.0.0.1:${api.ports.admin}/v1/nodes`, token)).body.nodes;
  t.like(apiNodes, [{ id: 'api-1', self: true, status: 'up', roles: ['api'], pins: [] }]);

  // compute alone: its hypervisors and host actors, the admin API (tokens checked against the shared keys), no other API.
  const compute = await node('compute-a', 'compute', database.url, { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'a' });
  running.push(compute);
  t.like(compute.started, { node: 'compute-a', roles: ['compute'], hosts: ['a-1'] });
  t.is(compute.started.identity, undefined);
  t.is(compute.started.images, undefined);
  t.is(compute.started.compute, undefined);
  for (const port of [compute.ports.identity, compute.ports.image, compute.ports.compute])
    t.true(await refusedConnection(port), `nothing on ${port}`);
  const admin = `http://127.0.0.1:${compute.ports.admin}`;
  t.is((await get(`${admin}/v1/nodes`)).status, 401);
  t.like((await get(`${admin}/v1/nodes/compute-a`, token)).body.node, { id: 'compute-a', roles: ['compute'], pins: ['host/a-1'] });
  t.like((await get(`${admin}/v1/actors?kind=host`, token)).body.actors, [{ kind: 'host', id: 'a-1', node: 'compute-a' }]);
  t.deepEqual((await get(`${admin}/v1/actors?kind=scheduler`, token)).body.actors, [], 'no scheduler runs on a compute node');

  // scheduler with console: its nova-scheduler and nova-conductor report in; console runs the console proxies.
  const scheduler = await node('sched-1', 'scheduler,console', database.url);
  running.push(scheduler);
  t.like(scheduler.started, { node: 'sched-1', roles: ['scheduler', 'console'], hosts: [] });
  t.is(scheduler.started.reserved, undefined, 'console is no longer a reserved role');
  t.is(scheduler.started.compute, undefined);
  const proxies = scheduler.started.consoles as Record<string, string>;
  t.deepEqual(Object.keys(proxies).sort(), ['novnc', 'serial', 'spice-html5']);
  for (const url of Object.values(proxies)) t.regex(url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/, 'each proxy on a port of its own');
  const page = await fetch(`${proxies.novnc}/vnc_lite.html`);
  t.is(page.status, 200);
  t.regex(await page.text(), /new RFB\(/, 'the noVNC page is served');

  const services = async () =>
    ((await get(`${nova}/v2.1/os-services`, token)).body.services as any[]).map((s) => `${s.binary}@${s.host}:${s.state}`).sort();
  await eventually(
    async () =>
      JSON.stringify(await services()) === JSON.stringify(['nova-compute@a-1:up', 'nova-conductor@sched-1:up', 'nova-scheduler@sched-1:up']),
    60_000,
    100,
  );
  t.deepEqual(await services(), ['nova-compute@a-1:up', 'nova-conductor@sched-1:up', 'nova-scheduler@sched-1:up']);
  t.like((await get(`${nova}/v2.1/os-hypervisors`, token)).body.hypervisors, [{ hypervisor_hostname: 'a-1', state: 'up' }]);

  // SIGTERM: each node drains (alone in its view, at once), then stops gracefully.
  for (const n of running.splice(0).reverse()) {
    t.is(await n.cloud.stop(), 0);
    const said = n.cloud.lines.map((l) => l.msg as string);
    t.true(said.includes('drained') && said.indexOf('drained') < said.indexOf('stratus stopped'), said.slice(-6).join(' | '));
    await stopLeftoverHypervisors(n.stateDir);
  }
});
