import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../models/database.js';
import { readRows } from '../models/typed.js';
import { createTestDatabase, onPostgres } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { lockedSerial } from './helpers/machine-lock.js';
import { postgresBinaries, startPostgresServer } from './helpers/postgres-server.js';
import { startRedisServer } from './helpers/redis-server.js';
import { defineCounterModel, type CounterRow } from './fixtures/counter-kind.js';

// Node processes of one cluster (PostgreSQL for the leases and actor state, a private redis-server for the
// mailboxes), killed for real with SIGKILL. In the PostgreSQL pass only: SQLite is one process's database.

const fixture = fileURLToPath(new URL('./fixtures/cluster-counter-node.ts', import.meta.url));
const LEASE_MS = 1_500;
const ACTORS = 10;
const PER_ACTOR = 100;
const TOTAL = ACTORS * PER_ACTOR;

interface NodeProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

function startNode(
  mode: 'produce' | 'hold',
  id: string,
  databaseUrl: string,
  redisUrl: string,
  delayMs = 0,
  env: Record<string, string> = {},
): NodeProcess {
  const args = [mode, id, databaseUrl, redisUrl, String(LEASE_MS), String(ACTORS), String(PER_ACTOR), String(delayMs)];
  const child = spawn(process.execPath, ['--import=tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  return { id, child, output };
}

async function kill(node: NodeProcess): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill('SIGCONT');
  node.child.kill('SIGKILL');
  await once(node.child, 'exit');
}

/** Two holder processes (node-b, node-c) that have joined, tracked in `nodes` for the teardown. */
async function startHolders(nodes: NodeProcess[], databaseUrl: string, redisUrl: string, env: Record<string, string> = {}): Promise<NodeProcess[]> {
  const holders = ['node-b', 'node-c'].map((id) => startNode('hold', id, databaseUrl, redisUrl, 0, env));
  nodes.push(...holders);
  await eventually(() => holders.every((n) => n.output.includes('joined')), 60_000);
  return holders;
}

/** Every counter got each of its adds once, in order: the exactly-once check all these tests end with. */
async function assertEachAddApplied(t: ExecutionContext, db: Database): Promise<void> {
  const rows = (await db.sequelize.model('Counter').findAll({ raw: true })) as unknown as CounterRow[];
  t.is(rows.length, ACTORS);
  for (const row of rows) {
    t.like(row, { count: PER_ACTOR, total: (PER_ACTOR * (PER_ACTOR + 1)) / 2, last_seq: PER_ACTOR, out_of_order: 0 }, row.id);
  }
}

interface ClusterRun {
  readonly db: Database;
  readonly databaseUrl: string;
  readonly redis: Awaited<ReturnType<typeof startRedisServer>>;
  /** Every node process started, killed by the teardown. */
  readonly nodes: NodeProcess[];
  /** Messages handled so far (the inbox's rows). */
  readonly handled: () => Promise<number>;
}

/** A database and a private redis-server of this test, torn down with the nodes the test starts. */
async function clusterRun(t: ExecutionContext, name: string, redisOptions?: Parameters<typeof startRedisServer>[0]): Promise<ClusterRun> {
  const database = await createTestDatabase(name);
  const redis = await startRedisServer(redisOptions);
  const db = await openDatabase(database.url);
  await defineCounterModel(db.sequelize);
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    await Promise.all(nodes.map(kill));
    await db.close();
    await redis.destroy();
    await database.drop();
  });
  return { db, databaseUrl: database.url, redis, nodes, handled: () => db.models.Inbox.count() };
}

// One multi-process test on the machine at a time (ava runs the files in parallel).
const register = lockedSerial(test.serial, test.serial.skip, onPostgres());

register(
  'three nodes: kill -9 of the sender after its sends returned and of a node mid-run: every effect exactly once, on the survivors',
  async (t) => {
    const { db, databaseUrl, redis, nodes, handled } = await clusterRun(t, 'cluster-failover');

    // The holders first, so the sender's first sends already find them live.
    const holders = await startHolders(nodes, databaseUrl, redis.url);
    // Each add takes 20 ms, so the run lasts long enough to be caught between 10 % and 90 %.
    const sender = startNode('produce', 'node-a', databaseUrl, redis.url, 20);
    nodes.push(sender);
    await eventually(() => sender.output.includes('accepted'), 60_000, 5);
    await kill(sender);
    t.log(`sender killed with ${await handled()} of ${TOTAL} handled`);

    await eventually(async () => (await handled()) >= TOTAL * 0.1, 60_000, 5);
    const victim = holders[0];
    const victimHeld = (await readRows(db.models.ActorRecord, { where: { kind: 'counter', node: victim.id } })).length;
    await kill(victim);
    const atKill = await handled();
    t.log(`${victim.id} killed holding ${victimHeld} counters with ${atKill} of ${TOTAL} handled`);
    t.true(atKill >= TOTAL * 0.1 && atKill <= TOTAL * 0.9, `killed between 10% and 90% (${atKill})`);
    t.true(victimHeld > 0, 'the killed node held counters');

    // The survivor takes the dead node's counters over once its lease lapses, and delivers again what they missed.
    await eventually(async () => (await handled()) === TOTAL && (await db.models.Outbox.count()) === 0, 120_000, 50);

    await assertEachAddApplied(t, db);
    t.is(await handled(), TOTAL, 'no message handled twice');
    t.is(await db.models.DeadLetter.count(), 0);
    const owners = await readRows(db.models.ActorRecord, { where: { kind: 'counter' }, attributes: ['id', 'node'] });
    t.deepEqual(
      owners.filter((o) => o.node !== 'node-c').map((o) => o.id),
      [],
      'every counter was last activated on the survivor',
    );
  },
);

for (const persistence of ['none', 'aof-always'] as const) {
  register(`Redis restarted mid-run with entries pending (persistence ${persistence}): delivery resumes, nothing lost or doubled`, async (t) => {
    const { db, databaseUrl, redis, nodes, handled } = await clusterRun(t, `cluster-redis-${persistence}`, { persistence });
    const holders = await startHolders(nodes, databaseUrl, redis.url);
    const sender = startNode('produce', 'node-a', databaseUrl, redis.url, 20);
    nodes.push(sender);
    await eventually(() => sender.output.includes('accepted'), 60_000, 5);

    // Entries delivered and not yet acknowledged, or not yet read, in the holders' streams.
    const admin = redis.admin();
    const waiting = async () => {
      let total = 0;
      for (const n of holders) {
        const stream = `failover:node:${n.id}`;
        const [pending, length] = await Promise.all([admin.xpending(stream, 'mailbox') as Promise<[number, ...unknown[]]>, admin.xlen(stream)]);
        total += Number(pending[0]) + length;
      }
      return total;
    };
    await eventually(async () => (await handled()) >= TOTAL * 0.1, 60_000, 5);
    const pendingAtRestart = await waiting();
    admin.disconnect();
    t.true(pendingAtRestart > 0, `entries pending at the restart (${pendingAtRestart})`);
    const atRestart = await handled();
    t.true(atRestart < TOTAL, `restarted before the end (${atRestart} handled)`);
    await redis.restart();
    t.log(`Redis restarted with ${pendingAtRestart} entries waiting, ${atRestart} of ${TOTAL} handled`);

    await eventually(async () => (await handled()) === TOTAL && (await db.models.Outbox.count()) === 0, 120_000, 50);
    await assertEachAddApplied(t, db);
    t.is(await db.models.DeadLetter.count(), 0);
  });
}

// Found, under load, a lost update: the stopped node read, after SIGCONT, entries of its own stream that the outbox
// had meanwhile redelivered to the survivor, handled them as new and failed on the inbox's key. A second copy of a
// handled message is now answered from the inbox (AlreadyHandledError).
const registerStopped = lockedSerial(test.serial, test.serial.skip, onPostgres());
registerStopped(
  'a node stopped (SIGSTOP) inside a handler past its lease, then continued: its stale write is refused, each effect once',
  async (t) => {
    const { db, databaseUrl, redis, nodes, handled } = await clusterRun(t, 'cluster-sigstop');
    const k0 = async () => ((await db.sequelize.model('Counter').findByPk('k0', { raw: true })) as unknown as CounterRow | null)?.count ?? 0;
    const HOLD_AT = 20;
    const holders = await startHolders(nodes, databaseUrl, redis.url, { HOLD_AT: String(HOLD_AT) });
    const sender = startNode('produce', 'node-a', databaseUrl, redis.url, 5);
    nodes.push(sender);

    // The holder of k0 reaches the held add: stopped there, before its commit.
    await eventually(() => holders.some((n) => n.output.includes('holding')), 60_000, 5);
    const stopped = holders.find((n) => n.output.includes('holding'))!;
    const survivor = holders.find((n) => n !== stopped)!;
    stopped.child.kill('SIGSTOP');
    t.is(await k0(), HOLD_AT - 1, 'the held add was not committed');

    // Past its lease the survivor takes k0 over and applies the held add and those after it.
    await eventually(async () => (await k0()) > HOLD_AT, 60_000, 20);
    stopped.child.kill('SIGCONT');
    await eventually(() => stopped.output.some((l) => /^stale [1-9]/.test(l)), 60_000, 20);
    t.log(`${stopped.id}: ${stopped.output.filter((l) => l.startsWith('stale')).pop()} after SIGCONT; ${survivor.id} took k0 over`);

    await eventually(async () => (await handled()) === TOTAL && (await db.models.Outbox.count()) === 0, 120_000, 50);
    await assertEachAddApplied(t, db);
    t.is(await db.models.DeadLetter.count(), 0);
  },
);

const OUTAGE_MS = 10_000;
// It runs a PostgreSQL server of its own, so it needs the server's programs, not only a database to connect to.
const registerPrivate = lockedSerial(test.serial, test.serial.skip, onPostgres() && Boolean(postgresBinaries()));

registerPrivate('a private PostgreSQL stopped for 10 s mid-run → handlers fail and retry, nothing lost or duplicated', async (t) => {
  // Never the shared server: every node and the test talk to a PostgreSQL of this test's own.
  const postgres = await startPostgresServer();
  const redis = await startRedisServer();
  const databaseUrl = await postgres.createDatabase('cluster_outage');
  const db = await openDatabase(databaseUrl);
  await defineCounterModel(db.sequelize);
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    await Promise.all(nodes.map(kill));
    await db.close();
    await redis.destroy();
    await postgres.destroy();
  });
  const handled = () => db.models.Inbox.count();
  await startHolders(nodes, databaseUrl, redis.url);
  // 50 ms an add: the run lasts several seconds, so the outage falls well inside it.
  const sender = startNode('produce', 'node-a', databaseUrl, redis.url, 50);
  nodes.push(sender);
  await eventually(() => sender.output.includes('accepted'), 60_000, 5);

  await eventually(async () => (await handled()) >= TOTAL * 0.1, 60_000, 5);
  const atStop = await handled();
  await postgres.stop();
  t.true(atStop >= TOTAL * 0.1 && atStop <= TOTAL * 0.9, `stopped between 10% and 90% (${atStop})`);
  t.log(`PostgreSQL stopped with ${atStop} of ${TOTAL} handled`);
  // The outage itself: every node's handlers, lease renewals and sweeps fail against a closed port meanwhile.
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  await postgres.start();

  await eventually(async () => (await handled()) === TOTAL && (await db.models.Outbox.count()) === 0, 180_000, 50);
  await assertEachAddApplied(t, db);
  t.is(await handled(), TOTAL, 'no message handled twice');
  t.is(await db.models.DeadLetter.count(), 0);
  t.is(await db.models.ActorRecord.count({ where: { status: 'failed' } }), 0, 'no actor was failed over the outage');
  t.deepEqual(
    nodes.filter((n) => n.child.exitCode !== null || n.child.signalCode !== null).map((n) => n.id),
    [],
    'every node rode the outage out',
  );
});
