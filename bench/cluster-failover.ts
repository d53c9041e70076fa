import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../models/database.js';
import { Membership } from '../runtime/cluster/membership.js';
import { SystemClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/logger.js';
import { ActorNode } from '../runtime/node.js';
import { SqlStore } from '../runtime/stores/sql-store.js';
import { RedisTransport } from '../runtime/transports/redis.js';
import { counterKind, defineCounterModel } from '../test/fixtures/counter-kind.js';
import { testPolicy } from '../test/helpers/runtime.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { count, note, report, scaled } from './report.js';
import { postgresDatabase } from './runtime/support.js';

// Failover: two holder processes share the counters of one cluster (PostgreSQL leases, a private redis-server);
// this process is a third node (api role, holds none) that asks them. One holder holding N counters is killed
// with SIGKILL; the figure is the time until every one of its counters answers again from the survivor, beside
// the lease configured (the time a lapsed lease alone takes to be noticed).

const LEASE_MS = 1_500;
const fixture = fileURLToPath(new URL('../test/fixtures/cluster-counter-node.ts', import.meta.url));

function holder(id: string, databaseUrl: string, redisUrl: string): { child: ChildProcess; joined: Promise<void> } {
  const child = spawn(process.execPath, ['--import=tsx', fixture, 'hold', id, databaseUrl, redisUrl, String(LEASE_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const joined = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('joined') && resolve());
    child.once('exit', (code) => reject(new Error(`holder ${id} exited (${code}) before joining`)));
  });
  return { child, joined };
}

export async function run(): Promise<void> {
  const database = await postgresDatabase();
  if (!database) {
    note('cluster failover: skipped, no PostgreSQL server answered (node processes need a shared database)');
    return;
  }
  const redis = await startRedisServer();
  const children: ChildProcess[] = [];
  const clock = new SystemClock();
  const logger = silentLogger();
  const db = await openDatabase(database.url);
  await defineCounterModel(db.sequelize);
  const store = new SqlStore(db, { maxBatch: 500, crashHistory: 5, now: () => clock.now() });
  const transport = new RedisTransport({ url: redis.url, keyPrefix: 'failover:', redeliverAfterMs: LEASE_MS, blockMs: 200, logger, clock });
  const cluster = new Membership({ db, clock, logger, nodeId: 'node-a', roles: ['api'], address: 'http://node-a.bench:8780', leaseMs: LEASE_MS });
  // Short request timeout: an ask that went to the dead node's stream is asked again of the new owner.
  const node = new ActorNode({
    nodeId: 'node-a',
    store,
    transport,
    clock,
    logger,
    requestTimeoutMs: 300,
    passivationSweepMs: 60_000,
    recentMessages: 8,
    cluster,
  });
  node.supervise(counterKind, testPolicy, 600_000);
  try {
    const holders = ['node-b', 'node-c'].map((id) => holder(id, database.url, redis.url));
    children.push(...holders.map((h) => h.child));
    await Promise.all(holders.map((h) => h.joined));
    await node.start();
    await cluster.refresh();
    const N = scaled(1_000, 100);
    // N counters the victim owns, each activated (one write) and answering before the kill.
    const ids: string[] = [];
    for (let i = 0; ids.length < N; i++) if (cluster.ownerOf('counter', `f${i}`) === 'node-b') ids.push(`f${i}`);
    const askAll = async (pending: string[]) => {
      const settled = await Promise.allSettled(pending.map((id) => node.ask({ kind: 'counter', id }, 'get', {})));
      return pending.filter((_, i) => settled[i].status === 'rejected');
    };
    await Promise.all(ids.map((id) => node.send({ kind: 'counter', id }, 'add', { amount: 1 })));
    for (let left = ids; left.length;) left = await askAll(left);

    const victim = holders[0].child;
    const killed = performance.now();
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    let left = ids;
    while (left.length) left = await askAll(left);
    const failoverMs = performance.now() - killed;
    report(`cluster failover: all ${count(N)} actors of a kill -9'd node answering on the survivor`, failoverMs, 'ms', 'lease configured', LEASE_MS);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await node.stop().catch(() => undefined);
    await store.close();
    await db.close();
    await redis.destroy();
    await database.drop();
  }
}
