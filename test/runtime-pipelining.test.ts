import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { createTestDatabase } from './helpers/database.js';
import { drive } from './helpers/drive.js';
import { refuseCounterWrites, startCounterNode } from './helpers/runtime.js';
import type { CounterRow } from './fixtures/counter-kind.js';

const counter = (id: string) => ({ kind: 'counter', id });
const BURST = 200;

/** A burst of adds to one counter, each answered with the running total. */
async function burst(pipelined: boolean, name: string) {
  const database = await createTestDatabase(name);
  const clock = new SimulatedClock();
  const { node, store, stop } = await startCounterNode(database.url, { clock, pipelined });
  await drive(clock, node.ask(counter('c'), 'add', { amount: 0 }));
  const before = store.stats.transactions;
  // Simulated time barely moves: 200 commits one by one outlast the request timeout otherwise.
  const replies = await drive(
    clock,
    Promise.all(Array.from({ length: BURST }, (_, i) => node.ask<number>(counter('c'), 'add', { amount: i + 1, seq: i + 1 }))),
    1,
  );
  const transactions = store.stats.transactions - before;
  const row = await drive(clock, node.ask<CounterRow>(counter('c'), 'get', {}));
  await stop();
  await database.drop();
  return { replies, transactions, row };
}

test('pipelined: one actor’s burst shares commits, in order, each reply the total after its own message', async (t) => {
  const plain = await burst(false, 'pipe-plain');
  const piped = await burst(true, 'pipe-piped');
  const totals = Array.from({ length: BURST }, (_, i) => ((i + 1) * (i + 2)) / 2);
  for (const r of [plain, piped]) {
    t.deepEqual(r.replies, totals);
    t.like(r.row, { count: BURST + 1, last_seq: BURST, out_of_order: 0, total: totals[BURST - 1] });
  }
  t.true(plain.transactions >= BURST, `without pipelining every commit is its own transaction (${plain.transactions})`);
  t.true(piped.transactions < BURST / 4, `pipelined commits of one actor share transactions (${piped.transactions})`);
});

test('pipelined: when a commit fails, the uncommitted messages are handled again in order on the reloaded state', async (t) => {
  const database = await createTestDatabase('pipe-fault');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock, pipelined: true, policy: { maxMessageAttempts: 20, maxRestarts: 50 } });
  await drive(clock, node.ask(counter('c'), 'add', { amount: 100, seq: 1 }));
  // The fault is real: the database itself refuses the counter's row update while it is armed.
  const fault = await refuseCounterWrites(db);
  await fault.arm();
  // The write keeps failing until the actor has crashed on it once; then the database takes writes again.
  let crashes = 0;
  node.changes.on('change', (e) => {
    if (e.event === 'crashed' && crashes++ === 0) void fault.disarm();
  });

  const replies = await drive(
    clock,
    Promise.all(Array.from({ length: 20 }, (_, i) => node.ask<number>(counter('c'), 'add', { amount: 1, seq: i + 2 }))),
  );
  t.true(crashes >= 1, 'the failed write was seen');
  t.deepEqual(
    replies,
    Array.from({ length: 20 }, (_, i) => 101 + i),
    'each reply counts its message once, in order',
  );
  const row = (await db.sequelize.model('Counter').findByPk('c', { raw: true })) as unknown as CounterRow;
  t.like(row, { total: 120, count: 21, last_seq: 21, out_of_order: 0 });
  t.is(await db.models.Inbox.count({ where: { kind: 'counter', actor_id: 'c' } }), 21, 'each message recorded handled once');
  t.is(await db.models.Outbox.count(), 0);
  await stop();
  await database.drop();
});
