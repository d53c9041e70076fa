import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import type { Database } from '../models/database.js';
import { createTestDatabase } from './helpers/database.js';
import { drive } from './helpers/drive.js';
import { refuseCounterWrites, startCounterNode } from './helpers/runtime.js';
import type { CounterEntryRow, CounterRow } from './fixtures/counter-kind.js';

// Rows a kind records beside its state (ctx.record) and sends it delays (ctx.send … { delayMs }),
// on the test-only counter kind: no compute knowledge in the runtime.

const counter = (id: string) => ({ kind: 'counter', id });
const entries = async (db: Database) =>
  (await db.sequelize.model('CounterEntry').findAll({ order: [['id', 'ASC']], raw: true })) as unknown as CounterEntryRow[];

test('recorded rows are written in the handler’s commit; a later partial row updates only its columns; a refusal writes none', async (t) => {
  const database = await createTestDatabase('records-commit');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock });
  try {
    t.is(await drive(clock, node.ask(counter('c'), 'addRecorded', { amount: 5, key: 'e1' })), 5);
    t.deepEqual(await entries(db), [{ id: 'e1', counter_id: 'c', amount: 5, note: null }]);
    t.is(await drive(clock, node.ask(counter('c'), 'annotate', { key: 'e1', note: 'first' })), 'first');
    t.deepEqual(await entries(db), [{ id: 'e1', counter_id: 'c', amount: 5, note: 'first' }], 'amount kept, note set');

    await t.throwsAsync(drive(clock, node.ask(counter('c'), 'recordThenRefuse', { key: 'e2' })), { message: 'recorded, then refused' });
    t.is((await entries(db)).length, 1, 'a refused message records nothing');
    await t.throwsAsync(drive(clock, node.ask(counter('c'), 'peekRecord', {})), {
      message: /dead-lettered.*transient and may not change state or record rows/,
    });
    t.is((await entries(db)).length, 1, 'a transient message records nothing');
  } finally {
    await stop();
    await database.drop();
  }
});

test('pipelined: rows recorded by one batch for the same key are merged; a replay after a failed commit writes each row once', async (t) => {
  const database = await createTestDatabase('records-replay');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock, pipelined: true, policy: { maxMessageAttempts: 20, maxRestarts: 50 } });
  try {
    await drive(clock, node.ask(counter('c'), 'add', { amount: 0, seq: 1 }));
    // One burst: each entry written, then annotated; pipelined, so both land in shared transactions.
    const burst = Array.from({ length: 10 }, (_, i) => [
      node.ask(counter('c'), 'addRecorded', { amount: i + 1, key: `k${i}`, seq: i + 2 }),
      node.ask(counter('c'), 'annotate', { key: `k${i}`, note: `n${i}` }),
    ]).flat();
    await drive(clock, Promise.all(burst), 1);
    const merged = await entries(db);
    t.is(merged.length, 10);
    t.true(
      merged.every((e) => e.note === `n${e.id.slice(1)}` && e.amount === Number(e.id.slice(1)) + 1),
      JSON.stringify(merged),
    );

    // The database refuses the counter's update once (a real trigger): the activation reloads and
    // handles again what was not committed, recording the same rows again.
    const fault = await refuseCounterWrites(db);
    await fault.arm();
    let crashes = 0;
    node.changes.on('change', (e) => {
      if (e.event === 'crashed' && crashes++ === 0) void fault.disarm();
    });
    const replies = await drive(
      clock,
      Promise.all(Array.from({ length: 10 }, (_, i) => node.ask<number>(counter('c'), 'addRecorded', { amount: 100, key: `r${i}`, seq: i + 12 }))),
    );
    t.true(crashes >= 1, 'the failed write was seen');
    const total = 55;
    t.deepEqual(
      replies,
      Array.from({ length: 10 }, (_, i) => total + 100 * (i + 1)),
    );
    const after = await entries(db);
    t.is(after.length, 20);
    t.deepEqual(
      after.filter((e) => e.id.startsWith('r')).map((e) => e.amount),
      Array(10).fill(100),
    );
    const row = (await db.sequelize.model('Counter').findByPk('c', { raw: true })) as unknown as CounterRow;
    t.like(row, { total: total + 1000, last_seq: 21, out_of_order: 0 });
  } finally {
    await stop();
    await database.drop();
  }
});

test('a delayed send arrives once its delay has passed on the clock; one a restart finds overdue arrives at once', async (t) => {
  const database = await createTestDatabase('records-delay');
  const clock = new SimulatedClock();
  const first = await startCounterNode(database.url, { clock });
  try {
    t.is(await drive(clock, first.node.ask(counter('d'), 'remind', { amount: 7, delayMs: 60_000 })), 'later');
    await clock.advance(30_000);
    t.is((await drive(clock, first.node.ask<CounterRow>(counter('d'), 'get', {}))).total, 0, 'not before its delay');
    await clock.advance(30_000);
    let total = 0;
    for (let i = 0; i < 100 && total === 0; i++) {
      total = (await drive(clock, first.node.ask<CounterRow>(counter('d'), 'get', {}))).total;
      await new Promise((r) => setTimeout(r, 5));
    }
    t.is(total, 7, 'delivered after its delay');

    await drive(clock, first.node.ask(counter('d'), 'remind', { amount: 10, delayMs: 600_000 }));
    t.is(await first.db.models.Outbox.count(), 1, 'the delayed message is durable while it waits');
  } finally {
    await first.stop();
  }
  // Restarted after its due time: nothing left to wait for.
  const second = await startCounterNode(database.url, { clock: new SimulatedClock(clock.now() + 700_000) });
  try {
    let total = 0;
    for (let i = 0; i < 200 && total !== 17; i++) {
      total = (await second.node.ask<CounterRow>(counter('d'), 'get', {})).total;
      await new Promise((r) => setTimeout(r, 5));
    }
    t.is(total, 17, 'redelivered without waiting after the restart');
  } finally {
    await second.stop();
    await database.drop();
  }
});

test('a delayed message survives a restart and arrives at its due time on the clock, not before', async (t) => {
  const database = await createTestDatabase('records-delay-restart');
  const first = await startCounterNode(database.url, { clock: new SimulatedClock() });
  let due: number;
  let stoppedAt: number;
  try {
    t.is(await drive(first.clock as SimulatedClock, first.node.ask(counter('r'), 'remind', { amount: 5, delayMs: 600_000 })), 'later');
    const rows = (await first.db.models.Outbox.findAll({ raw: true })) as unknown as Array<{ created_at: Date; deliver_at: Date | null }>;
    t.is(rows.length, 1, 'the delayed message is in the outbox while it waits');
    due = new Date(rows[0].deliver_at!).getTime();
    t.is(due - new Date(rows[0].created_at).getTime(), 600_000, 'its row keeps the due time: the commit plus the delay');
    stoppedAt = first.clock.now();
  } finally {
    await first.stop();
  }
  // The node comes back 100 s (on the clock) after it went down, with 500 s of the delay left.
  const clock = new SimulatedClock(stoppedAt + 100_000);
  const second = await startCounterNode(database.url, { clock });
  try {
    const total = async () => (await second.node.ask<CounterRow>(counter('r'), 'get', {})).total;
    t.is(await total(), 0, 'not delivered at once after the restart');
    await clock.advance(due - clock.now() - 1);
    t.is(await total(), 0, 'nor a millisecond before its due time');
    t.is(await second.db.models.Outbox.count(), 1);
    await clock.advance(1);
    let seen = 0;
    for (let i = 0; i < 200 && seen !== 5; i++) {
      seen = await total();
      if (seen !== 5) await new Promise((r) => setTimeout(r, 5));
    }
    t.is(seen, 5, 'delivered at its due time');
    t.is(await second.db.models.Outbox.count(), 0, 'handled, and gone from the outbox');
    t.is(await second.db.models.Inbox.count(), 2, 'the reminder and the delayed add, each handled once');
  } finally {
    await second.stop();
    await database.drop();
  }
});
