import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, onPostgres } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { lockedSerial } from './helpers/machine-lock.js';
import { freePort, startCloudProcess, stratusProcess, type CloudProcess, type Entry } from './helpers/cloud-process.js';
import { startRedisServer } from './helpers/redis-server.js';
import { stopLeftoverHypervisors } from './helpers/test-cloud.js';
import { ADMIN_PASSWORD } from './helpers/identity.js';
import { domainsOf, TINY_IMAGE_ID } from './helpers/compute.js';
import { uriOf } from '../drivers/simulated/hypervisor-process.js';

// A cluster of node processes as an operator runs one: an api+scheduler node and compute nodes sharing one
// PostgreSQL database (membership leases, the actors' tables) and one Redis (every mailbox). Only PostgreSQL:
// SQLite is one process's file, not a database several machines share.

const WAIT_MS = 60_000;
// Short enough that a killed node is seen down within a few seconds, long enough that a busy machine renews in time.
const LEASE_MS = '1500';

interface Node {
  readonly id: string;
  readonly roles: string;
  readonly extra: Record<string, string>;
  readonly stateDir: string;
  // A restart may need other ports (one found free can be taken meanwhile): these follow the running process.
  admin: string;
  nova: string;
  identity: string;
  cloud: CloudProcess;
}

interface Cluster {
  /** Starts a node process (under the test harness unless told) and waits until it says it started. */
  start(id: string, roles: string, extra?: Record<string, string>, entry?: Entry): Promise<Node>;
  /** Starts a node's process again: same node id, roles, state dir, database and Redis; its settings unless given others. */
  restart(node: Node, extra?: Record<string, string>): Promise<void>;
  /** Runs a node process that is expected to exit by itself, and waits (bounded) for its exit. */
  refused(id: string, roles: string, extra: Record<string, string>, entry: Entry): Promise<{ code: number | null; stderr: string }>;
}

async function cluster(t: ExecutionContext, name: string): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `stratus-${name}-`));
  const database = await createTestDatabase(name);
  const redis = await startRedisServer();
  const processes: Array<{ cloud: CloudProcess; stateDir: string }> = [];
  t.teardown(async () => {
    for (const p of processes) {
      if (p.cloud.child.exitCode === null && p.cloud.child.signalCode === null) p.cloud.child.kill('SIGKILL');
    }
    for (const p of new Set(processes.map((q) => q.stateDir))) await stopLeftoverHypervisors(p);
    await redis.destroy();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const envFor = async (id: string, roles: string, extra: Record<string, string>) => {
    const ports = {
      identity: await freePort(),
      image: await freePort(),
      network: await freePort(),
      compute: await freePort(),
      admin: await freePort(),
    };
    return {
      ports,
      env: {
        STRATUS_NODE_ID: id,
        STRATUS_ROLES: roles,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        STRATUS_REDIS_KEY_PREFIX: `${name}:`,
        STRATUS_STATE_DIR: join(dir, id),
        STRATUS_LISTEN_OPS: '0',
        STRATUS_LISTEN_IDENTITY: String(ports.identity),
        STRATUS_LISTEN_IMAGE: String(ports.image),
        STRATUS_LISTEN_NETWORK: String(ports.network),
        STRATUS_LISTEN_COMPUTE: String(ports.compute),
        STRATUS_LISTEN_ADMIN: String(ports.admin),
        STRATUS_IDENTITY_CLOUDS_YAML: join(dir, `${id}-clouds.yaml`),
        STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
        STRATUS_CLUSTER_LEASE_MS: LEASE_MS,
        STRATUS_CLUSTER_SWEEP_MS: '200',
        // What the killed node had taken from its stream but not acknowledged comes back soon after it restarts.
        STRATUS_CLUSTER_REDELIVER_AFTER_MS: '1000',
        STRATUS_TIMEOUTS_REPORT_INTERVAL_MS: '300',
        STRATUS_LOG_LEVEL: 'info',
        ...extra,
      },
    };
  };
  const launch = async (env: Record<string, string>, entry: Entry) => {
    const stateDir = env.STRATUS_STATE_DIR;
    try {
      const cloud = await startCloudProcess(env, entry);
      processes.push({ cloud, stateDir });
      return cloud;
    } catch (error) {
      // The process exited (or never said it started): nothing of it may outlive the test.
      await stopLeftoverHypervisors(stateDir);
      throw error;
    }
  };

  const start = async (id: string, roles: string, extra: Record<string, string>, entry: Entry): Promise<Node> => {
    // A port found free can be taken by another test's process before this one binds it: new ports, once more.
    for (let attempt = 1; ; attempt++) {
      const { ports, env } = await envFor(id, roles, extra);
      try {
        const cloud = await launch(env, entry);
        const at = (port: number) => `http://127.0.0.1:${port}`;
        return {
          id,
          roles,
          extra,
          stateDir: env.STRATUS_STATE_DIR,
          admin: at(ports.admin),
          nova: at(ports.compute),
          identity: at(ports.identity),
          cloud,
        };
      } catch (error) {
        if (attempt >= 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
      }
    }
  };

  return {
    start: (id, roles, extra = {}, entry = 'harness') => start(id, roles, extra, entry),
    restart: async (node, extra) => {
      const again = await start(node.id, node.roles, extra ?? node.extra, 'harness');
      Object.assign(node, { admin: again.admin, nova: again.nova, identity: again.identity, cloud: again.cloud });
    },
    refused: async (id, roles, extra, entry) => {
      const { env } = await envFor(id, roles, extra);
      const cloud = stratusProcess(['start'], env, entry);
      processes.push({ cloud, stateDir: env.STRATUS_STATE_DIR });
      // A node that starts after all was not refused: that is said at once rather than after the whole wait.
      await eventually(() => cloud.child.exitCode !== null || cloud.child.signalCode !== null || cloud.started() !== undefined, WAIT_MS, 20);
      return { code: cloud.child.exitCode, stderr: cloud.stderr.join('') || (cloud.started() ? 'it started' : '') };
    },
  };
}

async function adminToken(identity: string): Promise<string> {
  const r = await fetch(`${identity}/v3/auth/tokens`, {
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

// 2.74: an admin may name the host a server is built on, so a test can put one on the node it will kill.
const MICROVERSION = { 'OpenStack-API-Version': 'compute 2.74' };

async function call(method: string, url: string, token: string, body?: unknown) {
  const r = await fetch(url, {
    method,
    headers: { 'x-auth-token': token, ...MICROVERSION, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
}

/** The view of the cluster's nodes from one node's admin API: `id:status`, sorted. */
async function nodeStates(node: Node, token: string): Promise<string[]> {
  const r = await call('GET', `${node.admin}/v1/nodes`, token);
  if (r.status !== 200) throw new Error(`GET /v1/nodes: ${r.status} ${r.text}`);
  return (r.body.nodes as Array<{ id: string; status: string }>).map((n) => `${n.id}:${n.status}`).sort();
}

/** os-services as `binary@host:state`, sorted. */
async function services(api: Node, token: string): Promise<string[]> {
  const r = await call('GET', `${api.nova}/v2.1/os-services`, token);
  if (r.status !== 200) throw new Error(`GET /os-services: ${r.status} ${r.text}`);
  return (r.body.services as Array<{ binary: string; host: string; state: string }>).map((s) => `${s.binary}@${s.host}:${s.state}`).sort();
}

/** Waits (bounded) until the answer is the one expected, then asserts it, so a failure shows the last answer. */
async function settlesTo<T>(t: ExecutionContext, read: () => Promise<T>, expected: T, message?: string): Promise<void> {
  let last: T | undefined;
  try {
    await eventually(async () => JSON.stringify((last = await read())) === JSON.stringify(expected), WAIT_MS, 100);
  } catch {
    /* the assertion below says what was seen instead */
  }
  t.deepEqual(last, expected, message);
}

async function server(api: Node, token: string, id: string): Promise<Record<string, any>> {
  const r = await call('GET', `${api.nova}/v2.1/servers/${id}`, token);
  if (r.status !== 200) throw new Error(`GET /servers/${id}: ${r.status} ${r.text}`);
  return r.body.server;
}

/** Boots a server through the api node (on `host` if given) and waits (bounded) until it is ACTIVE. */
async function bootActive(t: ExecutionContext, api: Node, token: string, name: string, host?: string): Promise<Record<string, any>> {
  const r = await call('POST', `${api.nova}/v2.1/servers`, token, {
    server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1', networks: 'none', ...(host ? { host } : {}) },
  });
  t.is(r.status, 202, r.text);
  const id = r.body.server.id as string;
  let seen: Record<string, any> = {};
  await eventually(async () => (seen = await server(api, token, id)).status !== 'BUILD', WAIT_MS, 100).catch(() => {});
  t.is(seen.status, 'ACTIVE', `${name}: ${JSON.stringify(seen.fault ?? seen.status)}`);
  return seen;
}

const serverIds = async (api: Node, token: string) =>
  ((await call('GET', `${api.nova}/v2.1/servers`, token)).body.servers as Array<{ id: string }>).map((s) => s.id).sort();

/** The URI of a node's n-th simulated hypervisor (the tests ask libvirt itself which domains exist). */
const hypervisorOf = (node: Node, n = 1) => uriOf(join(node.stateDir, 'hv', String(n)));

/** os-hypervisors as `name:running_vms`, sorted (2.74 still shows the usage). */
async function runningVms(api: Node, token: string): Promise<string[]> {
  const r = await call('GET', `${api.nova}/v2.1/os-hypervisors/detail`, token);
  if (r.status !== 200) throw new Error(`GET /os-hypervisors/detail: ${r.status} ${r.text}`);
  return (r.body.hypervisors as Array<{ hypervisor_hostname: string; running_vms: number }>)
    .map((h) => `${h.hypervisor_hostname}:${h.running_vms}`)
    .sort();
}

// Registered (and skipped) on SQLite too, so the SQLite pass says what it leaves out.
// One multi-process test on the machine at a time (ava runs the files in parallel).
const register = lockedSerial(test.serial, test.serial.skip, onPostgres());

register('an api node boots servers onto the compute nodes over Redis; /v1/nodes and os-services show every node and host up', async (t) => {
  const c = await cluster(t, 'ccloud-spread');
  const api = await c.start('api', 'api,scheduler');
  const b = await c.start('node-b', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_LIBVIRT_HOST_PREFIX: 'b' });
  const cNode = await c.start('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
  t.like(b.cloud.started(), { node: 'node-b', roles: ['compute'], hosts: ['b-1', 'b-2'] });
  t.like(cNode.cloud.started(), { node: 'node-c', roles: ['compute'], hosts: ['c-1', 'c-2'] });
  const token = await adminToken(api.identity);

  // Every node sees the same three members, whichever admin API is asked.
  for (const n of [api, b, cNode]) await settlesTo(t, () => nodeStates(n, token), ['api:up', 'node-b:up', 'node-c:up'], `seen from ${n.id}`);
  const nodes = (await call('GET', `${api.admin}/v1/nodes`, token)).body.nodes as any[];
  t.like(
    [...nodes].sort((x, y) => String(x.id).localeCompare(y.id)),
    [
      { id: 'api', self: true, status: 'up', roles: ['api', 'scheduler'], pins: [] },
      { id: 'node-b', self: false, status: 'up', roles: ['compute'], pins: ['host/b-1', 'host/b-2'] },
      { id: 'node-c', self: false, status: 'up', roles: ['compute'], pins: ['host/c-1', 'host/c-2'] },
    ],
  );
  const unauthenticated = await fetch(`${b.admin}/v1/nodes`);
  t.is(unauthenticated.status, 401, 'the admin API of a compute node checks tokens too');

  const everyServiceUp = [
    'nova-compute@b-1:up',
    'nova-compute@b-2:up',
    'nova-compute@c-1:up',
    'nova-compute@c-2:up',
    'nova-conductor@api:up',
    'nova-scheduler@api:up',
  ];
  await settlesTo(t, () => services(api, token), everyServiceUp);

  // Boots the scheduler places, then one named onto each compute node: every one is built where its host lives.
  const hosts = new Set(['b-1', 'b-2', 'c-1', 'c-2']);
  const booted: Array<Record<string, any>> = [];
  for (let i = 0; i < 4; i++) booted.push(await bootActive(t, api, token, `spread-${i}`));
  for (const s of booted) t.true(hosts.has(s['OS-EXT-SRV-ATTR:host']), `${s.name} on ${s['OS-EXT-SRV-ATTR:host']}`);
  // The scheduler spreads by free RAM: four boots one after another on four empty hosts reach both nodes.
  const used = booted.map((s) => s['OS-EXT-SRV-ATTR:host'] as string);
  t.true(used.some((h) => h.startsWith('b-')) && used.some((h) => h.startsWith('c-')), `placed on ${used.join(', ')}`);
  const onB = await bootActive(t, api, token, 'on-b', 'b-2');
  const onC = await bootActive(t, api, token, 'on-c', 'c-2');
  t.is(onB['OS-EXT-SRV-ATTR:host'], 'b-2');
  t.is(onC['OS-EXT-SRV-ATTR:host'], 'c-2');

  // A compute node's /metrics counts what crossed through Redis: it received claims and sent what its hosts reported.
  const metrics = await (await fetch(`${String(b.cloud.started().ops)}/metrics`)).text();
  const counted = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  t.true(counted('stratus_transport_sent_total') > 0, metrics.slice(0, 200));
  t.true(counted('stratus_transport_received_total') > 0);
  t.is(counted('stratus_transport_malformed_total'), 0);
  t.false(Number.isNaN(counted('stratus_transport_pending')));

  // The api node's admin API answers for the whole cluster: it asks the others for what they hold.
  const hostActors = (await call('GET', `${api.admin}/v1/actors?kind=host`, token)).body;
  t.deepEqual(hostActors.unreachable_nodes, []);
  t.deepEqual((hostActors.actors as any[]).map((a) => `${a.id}@${a.node}`).sort(), ['b-1@node-b', 'b-2@node-b', 'c-1@node-c', 'c-2@node-c']);
  t.deepEqual((await call('GET', `${api.admin}/v1/actors?kind=host&scope=node`, token)).body, { actors: [] }, 'none on the api node itself');
  t.like((await call('GET', `${api.admin}/v1/actors/host/c-1`, token)).body.actor, { kind: 'host', id: 'c-1', node: 'node-c', status: 'ready' });
  const badScope = await call('GET', `${api.admin}/v1/actors?scope=everywhere`, token);
  t.like(badScope, { status: 400, body: { error: { code: 400, title: 'Bad Request', message: "scope must be 'node' or 'cluster'" } } });
  booted.push(onB, onC);
  t.deepEqual(await serverIds(api, token), booted.map((s) => s.id as string).sort(), 'each boot made one server');
  t.deepEqual(await services(api, token), everyServiceUp);
});

register(
  'kill -9 of a compute node: it and its hosts go down, a stop on it waits, boots go to the survivor; restarted, it finishes the stop',
  async (t) => {
    const c = await cluster(t, 'ccloud-kill');
    const api = await c.start('api', 'api,scheduler');
    const b = await c.start('node-b', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'b' });
    const cNode = await c.start('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
    const token = await adminToken(api.identity);
    const allUp = ['nova-compute@b-1:up', 'nova-compute@c-1:up', 'nova-conductor@api:up', 'nova-scheduler@api:up'];
    await settlesTo(t, () => services(api, token), allUp);

    const victim = await bootActive(t, api, token, 'on-b', 'b-1');
    t.is(victim['OS-EXT-SRV-ATTR:host'], 'b-1');
    const before = await serverIds(api, token);
    t.deepEqual(before, [victim.id]);

    b.cloud.child.kill('SIGKILL');
    await eventually(() => b.cloud.child.signalCode !== null, WAIT_MS, 20);
    t.is(b.cloud.child.signalCode, 'SIGKILL');
    await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:down', 'node-c:up'], 'the lease of the killed node lapses');
    await settlesTo(t, () => nodeStates(cNode, token), ['api:up', 'node-b:down', 'node-c:up'], 'the survivor sees it too');
    await settlesTo(
      t,
      () => services(api, token),
      ['nova-compute@b-1:down', 'nova-compute@c-1:up', 'nova-conductor@api:up', 'nova-scheduler@api:up'],
      'the hosts of a dead node are down at once, whatever their last report',
    );

    // The stop is accepted; it cannot reach b-1's hypervisor while b-1's node is away, so the task stays on.
    const stop = await call('POST', `${api.nova}/v2.1/servers/${victim.id}/action`, token, { 'os-stop': null });
    t.is(stop.status, 202, stop.text);
    t.is(stop.text, '');
    t.like(await server(api, token, victim.id), { status: 'ACTIVE', 'OS-EXT-STS:task_state': 'powering-off' });

    const meanwhile = await bootActive(t, api, token, 'meanwhile');
    t.is(meanwhile['OS-EXT-SRV-ATTR:host'], 'c-1', 'only the survivor’s host can take a boot');
    t.like(
      await server(api, token, victim.id),
      { status: 'ACTIVE', 'OS-EXT-STS:task_state': 'powering-off', 'OS-EXT-STS:vm_state': 'active' },
      'still waiting for its host after a whole boot elsewhere',
    );

    await c.restart(b);
    t.like(b.cloud.started(), { node: 'node-b', roles: ['compute'], hosts: ['b-1'] });
    await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:up', 'node-c:up']);
    await settlesTo(t, () => services(api, token), allUp, 'b-1 reports in again');
    let stopped: Record<string, any> = {};
    await eventually(async () => (stopped = await server(api, token, victim.id)).status === 'SHUTOFF', WAIT_MS, 100).catch(() => {});
    t.like(stopped, {
      status: 'SHUTOFF',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:vm_state': 'stopped',
      'OS-EXT-SRV-ATTR:host': 'b-1',
    });
    t.like(await server(api, token, meanwhile.id), { status: 'ACTIVE', 'OS-EXT-STS:task_state': null, 'OS-EXT-SRV-ATTR:host': 'c-1' });
    t.deepEqual(await serverIds(api, token), [victim.id, meanwhile.id].sort(), 'no server lost or made twice');
  },
);

register(
  'kill -9 of the compute node while a server it builds is BUILD → ACTIVE after the node returns, never stuck, never duplicated',
  async (t) => {
    const c = await cluster(t, 'ccloud-build-kill');
    const api = await c.start('api', 'api,scheduler');
    const hostsOfB = { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'b' };
    // Far longer than the test: the node is surely killed inside the hold, and comes back without it.
    const b = await c.start('node-b', 'compute', { ...hostsOfB, STRATUS_FAULTS_SPAWN_DELAY_MS: '600000' });
    const cNode = await c.start('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
    const token = await adminToken(api.identity);
    const allUp = ['nova-compute@b-1:up', 'nova-compute@c-1:up', 'nova-conductor@api:up', 'nova-scheduler@api:up'];
    await settlesTo(t, () => services(api, token), allUp);

    const boot = await call('POST', `${api.nova}/v2.1/servers`, token, {
      server: { name: 'held', imageRef: TINY_IMAGE_ID, flavorRef: '1', networks: 'none', host: 'b-1' },
    });
    t.is(boot.status, 202, boot.text);
    const id = boot.body.server.id as string;
    // The API cannot tell a claim on its way from one its host is working on: b-1's host actor says when it holds it.
    await eventually(() => b.cloud.lines.some((l) => l.msg === 'spawn held (test-only fault)' && l.instance === id), WAIT_MS, 20);
    t.like(await server(api, token, id), { status: 'BUILD', 'OS-EXT-STS:vm_state': 'building' }, 'building at the kill');
    t.deepEqual(await serverIds(api, token), [id]);

    b.cloud.child.kill('SIGKILL');
    await eventually(() => b.cloud.child.signalCode !== null, WAIT_MS, 20);
    t.is(b.cloud.child.signalCode, 'SIGKILL');
    await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:down', 'node-c:up'], 'the lease of the killed node lapses');
    // Its claim is b-1's alone (the boot named the host): it waits for the node, neither failed nor built elsewhere.
    t.like(await server(api, token, id), { status: 'BUILD', 'OS-EXT-STS:vm_state': 'building', 'OS-EXT-SRV-ATTR:host': null });

    await c.restart(b, hostsOfB);
    await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:up', 'node-c:up']);
    let built: Record<string, any> = {};
    await eventually(async () => (built = await server(api, token, id)).status !== 'BUILD', WAIT_MS, 100).catch(() => {});
    t.like(built, {
      status: 'ACTIVE',
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-SRV-ATTR:host': 'b-1',
    });
    t.deepEqual(await serverIds(api, token), [id], 'one server, as before the kill');
    const domains = await domainsOf([hypervisorOf(b), hypervisorOf(cNode)]);
    t.deepEqual([...domains.keys()], [id], 'one domain, and no other');
    t.is(domains.get(id)?.uri, hypervisorOf(b));
    t.is(domains.get(id)?.powerState, 1, 'running');
    // The claim handled again after the restart counts the server once.
    await settlesTo(t, () => runningVms(api, token), ['b-1:1', 'c-1:0']);
    await settlesTo(t, () => services(api, token), allUp);
  },
);

/** Waits (bounded) until `ready`, or until `stop` says to give up; says which. */
async function until(ready: () => Promise<boolean>, ms: number, stop: () => boolean = () => false): Promise<'ready' | 'stopped' | 'late'> {
  let outcome: 'ready' | 'stopped' | 'late' = 'late';
  await eventually(
    async () => {
      if (stop()) outcome = 'stopped';
      else if (await ready()) outcome = 'ready';
      return outcome !== 'late';
    },
    ms,
    100,
  ).catch(() => {});
  return outcome;
}

register('graceful shutdown (SIGTERM) of a compute node under load: no client request fails', async (t) => {
  const c = await cluster(t, 'ccloud-sigterm');
  const api = await c.start('api', 'api,scheduler');
  const b = await c.start('node-b', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'b' });
  const cNode = await c.start('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
  const token = await adminToken(api.identity);
  await settlesTo(t, () => services(api, token), ['nova-compute@b-1:up', 'nova-compute@c-1:up', 'nova-conductor@api:up', 'nova-scheduler@api:up']);
  const acted = [
    await bootActive(t, api, token, 'b-0', 'b-1'),
    await bootActive(t, api, token, 'b-1', 'b-1'),
    await bootActive(t, api, token, 'c-0', 'c-1'),
  ];

  type Phase = 'before' | 'stopping' | 'after';
  interface Answer {
    readonly what: string;
    readonly expected: number;
    readonly status: number;
    readonly text: string;
    readonly phase: Phase;
  }
  let phase: Phase = 'before';
  let done = false;
  const answers: Answer[] = [];
  // Every request of the load goes through here; a refused connection or one cut off counts as a failure too.
  const ask = async (what: string, expected: number, method: string, path: string, body?: unknown) => {
    const at = phase;
    try {
      const r = await fetch(`${api.nova}/v2.1${path}`, {
        method,
        headers: { 'x-auth-token': token, ...MICROVERSION, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      answers.push({ what, expected, status: r.status, text: text.slice(0, 300), phase: at });
      return r.status === expected && text ? (JSON.parse(text) as Record<string, any>) : r.status === expected ? {} : undefined;
    } catch (error) {
      answers.push({ what, expected, status: 0, text: String(error), phase: at });
      return undefined;
    }
  };
  const answered = (what: string, at?: Phase) => answers.filter((a) => a.what.startsWith(what) && (!at || a.phase === at)).length;

  const booted: Array<{ id: string; name: string; phase: Phase }> = [];
  const bootLoad = async (worker: number) => {
    for (let i = 0; !done; i++) {
      const at = phase;
      const name = `load-${worker}-${i}`;
      const r = await ask(`boot ${name}`, 202, 'POST', '/servers', {
        server: { name, imageRef: TINY_IMAGE_ID, flavorRef: '1', networks: 'none' },
      });
      if (!r) return;
      const id = r.server.id as string;
      booted.push({ id, name, phase: at });
      // Paced by the builds: the next boot once this one is built, or a while later if its host is away.
      await until(async () => (await ask(`get ${id}`, 200, 'GET', `/servers/${id}`))?.server.status !== 'BUILD', 10_000);
    }
  };
  const readLoad = async () => {
    while (!done) {
      const list = await ask('list', 200, 'GET', '/servers/detail');
      if (!list) return;
      for (const s of (list.servers as Array<{ id: string }>).slice(0, 3)) await ask(`get ${s.id}`, 200, 'GET', `/servers/${s.id}`);
    }
  };
  // What each acted-on server must end as: its last accepted action's outcome.
  const finalStatus = new Map<string, string>();
  const stuck: string[] = [];
  const actLoad = async (s: Record<string, any>) => {
    const onB = s['OS-EXT-SRV-ATTR:host'] === 'b-1';
    while (!done) {
      for (const [action, target] of [
        ['os-stop', 'SHUTOFF'],
        ['os-start', 'ACTIVE'],
      ] as const) {
        if (done) return;
        if (!(await ask(`${action} ${s.name as string}`, 202, 'POST', `/servers/${s.id as string}/action`, { [action]: null }))) return;
        finalStatus.set(s.id as string, target);
        const outcome = await until(
          async () => {
            const seen = (await ask(`get ${s.id as string}`, 200, 'GET', `/servers/${s.id as string}`))?.server;
            return seen?.status === target && seen['OS-EXT-STS:task_state'] === null;
          },
          WAIT_MS,
          // A server on node-b cannot finish an action once its node is gone: it waits for its return (checked below).
          () => onB && phase === 'after',
        );
        if (outcome === 'late') stuck.push(`${s.name as string}: ${action}`);
        if (outcome !== 'ready') return;
      }
    }
  };
  const load = Promise.all([bootLoad(1), bootLoad(2), readLoad(), readLoad(), readLoad(), ...acted.map(actLoad)]);

  // The load is under way before the signal: boots and actions on both compute nodes answered, and node-b holds
  // servers' actors (placed by hashing, so some boot brings one), which its drain must hand over.
  const instancesOnB = async () => {
    const r = await call('GET', `${b.admin}/v1/actors?kind=instance`, token);
    return r.status === 200 ? (r.body.actors as unknown[]).length : 0;
  };
  await eventually(async () => answered('boot') >= 2 && answered('os-start') >= 3 && (await instancesOnB()) > 0, WAIT_MS * 2, 50);
  t.log(`server actors on node-b at the signal: ${await instancesOnB()}`);
  phase = 'stopping';
  b.cloud.child.kill('SIGTERM');
  await eventually(() => b.cloud.child.exitCode !== null || b.cloud.child.signalCode !== null, WAIT_MS * 2, 20);
  t.is(b.cloud.child.exitCode, 0, b.cloud.stderr.join(''));
  // Its going is known to the api node a moment after it exits: a boot placed on b-1 before that waits for b-1.
  await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:left', 'node-c:up'], 'node-b left');
  phase = 'after';
  t.true(
    b.cloud.lines.some((l) => l.msg === 'drained'),
    'it drained before it stopped',
  );
  // And on after it left: boots, and actions on node-c's server.
  const startsBefore = answered('os-start c-0');
  await eventually(() => answered('boot', 'after') >= 2 && answered('os-start c-0') >= startsBefore + 2, WAIT_MS * 2, 20);
  done = true;
  await load;

  t.log(
    `answered: ${answers.length}; while node-b stopped: ${answers.filter((a) => a.phase === 'stopping').length}; after: ${answers.filter((a) => a.phase === 'after').length}`,
  );
  t.deepEqual(
    answers.filter((a) => a.status !== a.expected).map((a) => `${a.phase} ${a.what}: ${a.status} ${a.text}`),
    [],
    'every request answered as it is when no node stops',
  );
  t.true(
    answers.some((a) => a.phase === 'stopping'),
    'requests were in flight while node-b stopped',
  );
  t.deepEqual(stuck, [], 'every action on a live node completed');
  // What node-b's going cannot hold up: boots after it left were built on node-c's host.
  const placed = async (at: Phase) => {
    const all = await Promise.all(booted.filter((x) => x.phase === at).map((x) => server(api, token, x.id)));
    return all.map((s) => `${s.name}: ${s.status} on ${s['OS-EXT-SRV-ATTR:host']}`).sort();
  };
  await settlesTo(
    t,
    () => placed('after'),
    booted
      .filter((x) => x.phase === 'after')
      .map((x) => `${x.name}: ACTIVE on c-1`)
      .sort(),
    'boots after node-b left',
  );
  t.log(`placed before the signal and while node-b stopped: ${[...(await placed('before')), ...(await placed('stopping'))].join(', ')}`);

  // Back, node-b finishes what waited for it; then every server is as its last request left it.
  await c.restart(b);
  await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:up', 'node-c:up']);
  const want = new Map<string, string>([...booted.map((x) => [x.id, 'ACTIVE'] as const), ...finalStatus]);
  const states = async () => {
    const all = (await call('GET', `${api.nova}/v2.1/servers/detail`, token)).body.servers as Array<Record<string, any>>;
    return all.map((s) => `${s.name}: ${s.status}${s['OS-EXT-STS:task_state'] ? ` (${s['OS-EXT-STS:task_state']})` : ''}`).sort();
  };
  const names = new Map<string, string>([
    ...acted.map((s) => [s.id as string, s.name as string] as const),
    ...booted.map((x) => [x.id, x.name] as const),
  ]);
  await settlesTo(t, states, [...want].map(([id, status]) => `${names.get(id)}: ${status}`).sort(), 'each server as its last request left it');
  t.deepEqual(await serverIds(api, token), [...want.keys()].sort(), 'each accepted boot made one server, none lost');
  const domains = await domainsOf([hypervisorOf(b), hypervisorOf(cNode)]);
  t.deepEqual([...domains.keys()].sort(), [...want.keys()].sort(), 'one domain per server, and no other');
});

register('an operator drains a compute node from the api node: it stays up, and its movable actors answer from the others', async (t) => {
  const c = await cluster(t, 'ccloud-drain');
  const api = await c.start('api', 'api,scheduler');
  const b = await c.start('node-b', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'b' });
  await c.start('node-c', 'compute', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1', STRATUS_LIBVIRT_HOST_PREFIX: 'c' });
  const token = await adminToken(api.identity);
  await settlesTo(t, () => nodeStates(api, token), ['api:up', 'node-b:up', 'node-c:up']);
  const instancesOn = async (node: string) =>
    ((await call('GET', `${api.admin}/v1/actors?kind=instance`, token)).body.actors as Array<{ id: string; node: string }>)
      .filter((a) => a.node === node)
      .map((a) => a.id);
  // Boots until node-c holds some server's actor (placement spreads them over api, node-b and node-c).
  const booted: string[] = [];
  for (let i = 0; i < 12 && (await instancesOn('node-c')).length === 0; i++) booted.push((await bootActive(t, api, token, `d-${i}`)).id as string);
  const [moved] = await instancesOn('node-c');
  t.truthy(moved, 'node-c held a server actor before the drain');

  const drain = await call('POST', `${api.admin}/v1/nodes/node-c/drain`, token);
  t.is(drain.status, 202, drain.text);
  t.like(drain.body.node, { id: 'node-c' });
  await settlesTo(t, () => nodeStates(b, token), ['api:up', 'node-b:up', 'node-c:draining'], 'every node sees the drain');
  await settlesTo(t, () => instancesOn('node-c'), [], 'its movable actors handed over');
  t.true((await services(api, token)).includes('nova-compute@c-1:up'), 'the drained node stays up with its host');

  // The handed-over server answers an action from its new node; a new boot goes elsewhere.
  const stop = await call('POST', `${api.nova}/v2.1/servers/${moved}/action`, token, { 'os-stop': null });
  t.is(stop.status, 202, stop.text);
  await settlesTo(t, async () => (await server(api, token, moved)).status, 'SHUTOFF');
  const owner = (await call('GET', `${api.admin}/v1/actors/instance/${moved}`, token)).body.actor;
  t.true(owner.node === 'api' || owner.node === 'node-b', `now on ${owner.node}`);
  // Nor do new boots go to the draining node's host: its node is about to stop.
  for (let i = 0; i < 3; i++) {
    const fresh = await bootActive(t, api, token, `after-drain-${i}`);
    t.is(fresh['OS-EXT-SRV-ATTR:host'], 'b-1');
  }
  t.deepEqual(await instancesOn('node-c'), [], 'no new actor on the draining node');
});

register('a node of another cluster protocol version is refused at join, plainly, with exit code 2', async (t) => {
  const c = await cluster(t, 'ccloud-protocol');
  const api = await c.start('api', 'api,scheduler');
  const token = await adminToken(api.identity);
  const otherRelease = { STRATUS_FAULTS_CLUSTER_PROTOCOL_VERSION: '2' };

  // The hook is test-only: a production start refuses it before anything else.
  const production = await c.refused('other', 'scheduler', otherRelease, 'product');
  t.is(production.code, 2);
  t.regex(
    production.stderr,
    /faults\.clusterProtocolVersion \(env STRATUS_FAULTS_CLUSTER_PROTOCOL_VERSION\): a test-only fault hook, refused outside the test harness/,
  );

  const refused = await c.refused('other', 'scheduler', otherRelease, 'harness');
  t.is(refused.code, 2, refused.stderr);
  t.regex(
    refused.stderr,
    /^stratus: cluster protocol version 2 differs from the running nodes' \(api: 1\): a node may join only a cluster of its own protocol version; upgrade every node together$/m,
  );
  t.notRegex(refused.stderr, /\n\s+at /, 'said plainly, not as a crash with a stack');

  t.deepEqual(await nodeStates(api, token), ['api:up'], 'the refused node never joined');
  await settlesTo(t, () => services(api, token), ['nova-conductor@api:up', 'nova-scheduler@api:up']);
  // Its own version joins the same cluster.
  const same = await c.start('same', 'scheduler');
  t.like(same.cloud.started(), { node: 'same', roles: ['scheduler'] });
  await settlesTo(t, () => nodeStates(api, token), ['api:up', 'same:up']);
});
