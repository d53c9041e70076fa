import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../models/database.js';
import { defineCounterModel } from '../test/fixtures/counter-kind.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { count, note, report, scaled, until } from './report.js';
import { postgresDatabase } from './runtime/support.js';

// Durable messages applied across nodes, end to end: a sending node process (api role, holding no counter)
// accepts N adds to 100 counters held by a second node process, each handled and committed there; timed from
// the sender's start of sending until the last one is in the inbox. Baseline: the same N adds sent and applied
// inside one node process (the all-in-one's in-process delivery) on the same PostgreSQL, timed the same way.

const ACTORS = 100;
const LEASE_MS = 5_000;
const clusterFixture = fileURLToPath(new URL('../test/fixtures/cluster-counter-node.ts', import.meta.url));
const aloneFixture = fileURLToPath(new URL('../test/fixtures/counter-node.ts', import.meta.url));

function child(file: string, args: string[]): { process: ChildProcess; lines: string[] } {
  const p = spawn(process.execPath, ['--import=tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  p.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { process: p, lines };
}

/** Seconds from the moment `started` says so until the database holds `n` handled messages. */
async function timeApplied(url: string, n: number, launch: () => { process: ChildProcess; lines: string[] }, started: string): Promise<number> {
  const db = await openDatabase(url);
  await defineCounterModel(db.sequelize);
  const sender = launch();
  try {
    await until(() => sender.lines.some((l) => l.startsWith(started)), 120_000);
    const t0 = performance.now();
    await until(async () => {
      const handled = await db.models.Inbox.count();
      if (handled < n) await new Promise((r) => setTimeout(r, 5));
      return handled >= n;
    }, 600_000);
    return (performance.now() - t0) / 1000;
  } finally {
    sender.process.kill('SIGKILL');
    await db.close();
  }
}

export async function run(): Promise<void> {
  const [clusterDb, aloneDb] = [await postgresDatabase(), await postgresDatabase()];
  if (!clusterDb || !aloneDb) {
    note('durable messages across nodes: skipped, no PostgreSQL server answered');
    return;
  }
  const perActor = Math.max(1, Math.round(scaled(10_000, 1_000) / ACTORS));
  const n = ACTORS * perActor;
  const redis = await startRedisServer();
  const holders: ChildProcess[] = [];
  try {
    const alone = await timeApplied(
      aloneDb.url,
      n,
      () => child(aloneFixture, ['produce', aloneDb.url, String(ACTORS), String(perActor), '0']),
      'started',
    );
    const holder = child(clusterFixture, ['hold', 'node-b', clusterDb.url, redis.url, String(LEASE_MS)]);
    holders.push(holder.process);
    await until(() => holder.lines.includes('joined'), 120_000);
    const across = await timeApplied(
      clusterDb.url,
      n,
      () => child(clusterFixture, ['produce', 'node-a', clusterDb.url, redis.url, String(LEASE_MS), String(ACTORS), String(perActor), '0']),
      'joined',
    );
    report(
      `durable messages applied on another node process (${count(n)} to ${ACTORS} actors, sent at once, until the last commit; PostgreSQL)`,
      n / across,
      'msgs/s',
      'the same in one process (in-process delivery)',
      n / alone,
    );
  } finally {
    for (const h of holders) h.kill('SIGKILL');
    await redis.destroy();
    await clusterDb.drop();
    await aloneDb.drop();
  }
}
