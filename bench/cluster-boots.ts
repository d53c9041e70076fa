import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize } from 'sequelize';
import { stopSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import { TINY_IMAGE_ID } from '../http/images/index.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { count, note, report, scaled, until } from './report.js';
import { postgresDatabase } from './runtime/support.js';
import { inBatches, instanceTimes, startBenchCloud, type BenchCloud, type Servers } from './support.js';

// Boots through a three-node cluster (api+scheduler, two compute nodes with three simulated hosts each; one
// PostgreSQL database, a private redis-server) vs the all-in-one on its own PostgreSQL database with six
// simulated hosts, same boots at the same concurrency, in the same run. Each rate runs from the first POST
// to the last `launched_at` its rows record.

const root = fileURLToPath(new URL('..', import.meta.url));
const CONCURRENCY = 25;
const HOST = { STRATUS_LIBVIRT_VCPUS: '64', STRATUS_LIBVIRT_MEMORY_MB: '524288', STRATUS_LIBVIRT_DISK_GB: '4000' };

async function bootAll(cloud: BenchCloud, sequelize: Sequelize, boots: number): Promise<number> {
  const { nova, token } = cloud;
  const ids: string[] = [];
  const t0 = Date.now();
  await inBatches(boots, CONCURRENCY, async (i) => {
    const r = await nova.call('POST', '/v2.1/servers', { token, body: { server: { name: `b-${i}`, imageRef: TINY_IMAGE_ID, flavorRef: '1' } } });
    if (r.status !== 202) throw new Error(`boot answered ${r.status}: ${JSON.stringify(r.body)}`);
    ids.push((r.body as { server: { id: string } }).server.id);
  });
  await until(async () => {
    const n = ((await nova.call('GET', '/v2.1/servers?status=ACTIVE&limit=5000', { token })).body as Servers).servers.length;
    if (n < boots) await new Promise((r) => setTimeout(r, 50));
    return n >= boots;
  }, 600_000);
  const times = await instanceTimes(sequelize, ids);
  const last = Math.max(...ids.map((id) => times.get(id)?.launched ?? Infinity));
  return boots / ((last - t0) / 1000);
}

function computeNode(name: string, databaseUrl: string, redisUrl: string): { child: ChildProcess; stop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `sc${name}-`));
  const stateDir = join(dir, 's');
  const child = spawn(process.execPath, [join(root, 'dist', 'bin', 'stratus.js'), 'start'], {
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/root',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      STRATUS_NODE_ID: `node-${name}`,
      STRATUS_ROLES: 'compute',
      STRATUS_STATE_DIR: stateDir,
      STRATUS_LIBVIRT_REAL_HOST: 'false',
      STRATUS_DATAPLANE_ENABLED: 'off',
      STRATUS_LIBVIRT_HOST_PREFIX: name,
      STRATUS_LISTEN_OPS: '0',
      // The console proxies on ports of their own: parallel clouds never collide.
      STRATUS_LISTEN_CONSOLE: '0',
      STRATUS_CONSOLES_SPICE_PORT: '0',
      STRATUS_CONSOLES_SERIAL_PORT: '0',
      STRATUS_LISTEN_ADMIN: '0',
      STRATUS_LOG_LEVEL: 'warn',
      ...HOST,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    const hv = join(stateDir, 'hv');
    for (const d of existsSync(hv) ? readdirSync(hv) : []) await stopSimulatedHypervisor(join(hv, d), 5_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, stop };
}

export async function run(): Promise<void> {
  const [clusterDb, aloneDb] = [await postgresDatabase(), await postgresDatabase()];
  if (!clusterDb || !aloneDb) {
    note('cluster boots: skipped, no PostgreSQL server answered (node processes need a shared database)');
    return;
  }
  const boots = scaled(200, 10);
  const redis = await startRedisServer();
  const stops: Array<() => Promise<void>> = [];
  try {
    // The all-in-one first, alone on the machine.
    const alone = await startBenchCloud('sa-', { env: { DATABASE_URL: aloneDb.url, STRATUS_LIBVIRT_SIMULATED_HOSTS: '6' } });
    const aloneSql = new Sequelize(aloneDb.url, { logging: false });
    const aloneRate = await bootAll(alone, aloneSql, boots).finally(async () => {
      await aloneSql.close();
      await alone.stop();
    });

    const api = await startBenchCloud('sk-', {
      env: { DATABASE_URL: clusterDb.url, REDIS_URL: redis.url, STRATUS_NODE_ID: 'node-a', STRATUS_ROLES: 'api,scheduler' },
    });
    stops.push(api.stop);
    for (const name of ['b', 'c']) stops.push(computeNode(name, clusterDb.url, redis.url).stop);
    await until(async () => {
      const r = await api.nova.call('GET', '/v2.1/os-services?binary=nova-compute', { token: api.token });
      const up = ((r.body as { services?: Array<{ state: string }> }).services ?? []).filter((s) => s.state === 'up').length;
      if (up < 6) await new Promise((res) => setTimeout(res, 200));
      return up === 6;
    }, 180_000);
    // Boots start once the api node's view holds all three nodes (a cluster formed, not one forming).
    await until(async () => {
      const nodes = await fetch(`${api.urls.admin}/v1/nodes`, { headers: { 'x-auth-token': api.token } }).then(
        (x) => x.json() as Promise<{ nodes: Array<{ status: string }> }>,
      );
      const up = nodes.nodes.filter((n) => n.status === 'up').length;
      if (up < 3) await new Promise((res) => setTimeout(res, 200));
      return up === 3;
    }, 60_000);
    const clusterSql = new Sequelize(clusterDb.url, { logging: false });
    const clusterRate = await bootAll(api, clusterSql, boots).finally(() => clusterSql.close());
    report(
      `boots to ACTIVE through a three-node cluster (${count(boots)} servers, ${CONCURRENCY} clients, 6 hosts)`,
      clusterRate,
      'servers/s',
      'the all-in-one, same boots and hosts',
      aloneRate,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await redis.destroy();
    await clusterDb.drop();
    await aloneDb.drop();
  }
}
