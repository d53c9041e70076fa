import test from 'ava';
import { randomUUID } from 'node:crypto';
import { SimulatedClock } from '../runtime/clock.js';
import { ActorError } from '../runtime/errors.js';
import { createTestDatabase } from './helpers/database.js';
import { drive, eventually } from './helpers/drive.js';
import { startCounterNode } from './helpers/runtime.js';
import type { CounterRow } from './fixtures/counter-kind.js';

const counter = (id: string) => ({ kind: 'counter', id });

test('messages from one sender are handled in send order, many actors share group commits', async (t) => {
  const database = await createTestDatabase('delivery-order');
  const clock = new SimulatedClock();
  const { node, store, db, stop } = await startCounterNode(database.url, { clock });
  const sends: Promise<void>[] = [];
  for (let seq = 1; seq <= 50; seq++) for (let a = 0; a < 20; a++) sends.push(node.send(counter(`o${a}`), 'add', { amount: seq, seq }));
  await drive(clock, Promise.all(sends));
  await eventually(async () => (await db.models.Inbox.count()) === 1000);
  for (let a = 0; a < 20; a++) {
    const row = await drive(clock, node.ask<CounterRow>(counter(`o${a}`), 'get', {}));
    t.like(row, { total: 1275, count: 50, last_seq: 50, out_of_order: 0 });
  }
  t.true(store.stats.maxBatch > 1, `group commit batched writes (largest batch ${store.stats.maxBatch})`);
  await stop();
  await database.drop();
});

test('a durable send from an actor commits with its state and is delivered', async (t) => {
  const database = await createTestDatabase('delivery-relay');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock });
  t.is(await drive(clock, node.ask(counter('r1'), 'relay', { to: 'r2', amount: 9 })), 'sent');
  await eventually(async () => (await db.models.Inbox.count()) === 2);
  t.is((await drive(clock, node.ask<CounterRow>(counter('r2'), 'get', {}))).total, 9);
  t.is(await db.models.Outbox.count(), 0);
  await stop();
  await database.drop();
});

test('malformed messages get an error back and the actor keeps running', async (t) => {
  const database = await createTestDatabase('delivery-malformed');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock });
  const unknownType = await t.throwsAsync(node.ask(counter('m'), 'nope', {}), { instanceOf: ActorError });
  t.is(unknownType?.code, 'invalid_message');
  const badPayload = await t.throwsAsync(node.ask(counter('m'), 'add', { amount: 'lots' }), { instanceOf: ActorError });
  t.is(badPayload?.code, 'invalid_message');
  t.regex(badPayload.message, /amount/);
  const badTransient = await t.throwsAsync(drive(clock, node.ask(counter('m'), 'ping', 'not an object')), { instanceOf: ActorError });
  t.is(badTransient?.code, 'invalid_message', 'checked by the receiving actor too');
  const unknownKind = await t.throwsAsync(node.ask({ kind: 'nosuch', id: 'x' }, 'get', {}), { instanceOf: ActorError });
  t.is(unknownKind?.code, 'unknown_kind');
  t.is(await drive(clock, node.ask(counter('m'), 'add', { amount: 2 })), 2);
  const refused = await t.throwsAsync(drive(clock, node.ask(counter('m'), 'refuse', {})), { instanceOf: ActorError });
  t.is(refused?.code, 'rejected');
  t.is(node.info(counter('m'))?.restarts, 0, 'a refusal is not a crash');
  await stop();
  await database.drop();
});

test('a malformed durable message already in the outbox is answered, recorded and not retried', async (t) => {
  const database = await createTestDatabase('delivery-outbox-malformed');
  const first = await startCounterNode(database.url);
  // As if an older node had accepted it: the receiving actor checks every payload itself.
  await first.store.enqueue([{ id: randomUUID(), to: counter('x'), type: 'add', payload: { amount: 'NaN' }, durable: true }]);
  await first.stop();
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock });
  t.is(await drive(clock, node.ask(counter('x'), 'add', { amount: 1 })), 1, 'the actor handled the next message');
  const inbox = (await db.models.Inbox.findAll({ where: { ok: false }, raw: true })) as unknown as Array<{ reply: string }>;
  t.is(inbox.length, 1);
  t.is(JSON.parse(inbox[0].reply).code, 'invalid_message');
  t.is(await db.models.Outbox.count(), 0);
  await stop();
  await database.drop();
});

test('a redelivered message id is not handled again; its stored reply is returned', async (t) => {
  const database = await createTestDatabase('delivery-dedupe');
  const clock = new SimulatedClock();
  const a = await startCounterNode(database.url, { clock });
  const id = randomUUID();
  const message = { id, to: counter('d'), type: 'add', payload: { amount: 5 }, durable: true } as const;
  await a.store.enqueue([message]);
  a.node.receive(message);
  await eventually(async () => (await a.db.models.Inbox.count()) === 1);
  // The same message arrives again, as an at-least-once transport may deliver it.
  await a.store.enqueue([message]);
  await a.stop();
  const b = await startCounterNode(database.url, { clock });
  const row = await drive(clock, b.node.ask<CounterRow>(counter('d'), 'get', {}));
  t.is(row.total, 5, 'applied exactly once');
  t.is(row.count, 1);
  t.is(await b.db.models.Outbox.count(), 0);
  t.like(b.node.info(counter('d'))!.recent[0], { id, outcome: 'duplicate' });
  await b.stop();
  await database.drop();
});

for (const pipelined of [false, true]) {
  test(`a message delivered again as new after it was handled (two nodes in a cluster) is answered from the inbox, never a crash (pipelined: ${pipelined})`, async (t) => {
    const database = await createTestDatabase(`delivery-second-copy-${pipelined}`);
    const clock = new SimulatedClock();
    const { node, db, stop } = await startCounterNode(database.url, { clock, pipelined });
    const messages = [1, 2, 3].map(
      (seq) => ({ id: randomUUID(), to: counter('c'), type: 'add', payload: { amount: seq, seq }, durable: true }) as const,
    );
    for (const m of messages) node.receive(m);
    await eventually(async () => (await db.models.Inbox.count()) === 3);
    // Copies without the redelivered mark: what a node reads from its own stream after the outbox redelivered the
    // messages to another owner while it was stopped. Each would otherwise fail on the inbox's key.
    for (const m of messages) node.receive(m);
    t.is(await drive(clock, node.ask(counter('c'), 'add', { amount: 4, seq: 4 })), 10, 'the next message applies on the state with each add once');
    const row = await drive(clock, node.ask<CounterRow>(counter('c'), 'get', {}));
    t.like(row, { total: 10, count: 4, last_seq: 4, out_of_order: 0 });
    const info = node.info(counter('c'))!;
    t.is(info.restarts, 0, 'no crash');
    t.is(info.status, 'ready');
    t.deepEqual(
      messages.map((m) => info.recent.filter((r) => r.id === m.id).map((r) => r.outcome)),
      messages.map(() => ['ok', 'duplicate']),
    );
    t.is(await db.models.DeadLetter.count(), 0);
    await stop();
    await database.drop();
  });
}

test('request/reply times out with an error on the injected clock', async (t) => {
  const database = await createTestDatabase('delivery-timeout');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock });
  const answer = node.ask(counter('slow'), 'hang', {}, { timeoutMs: 5_000 });
  let settled = false;
  answer.catch(() => {
    settled = true;
  });
  await clock.advance(4_000);
  t.false(settled, 'not before the timeout');
  await clock.advance(1_000);
  const error = await t.throwsAsync(answer, { instanceOf: ActorError });
  t.is(error?.code, 'timeout');
  t.is(node.pendingRequests, 0);
  await stop();
  await database.drop();
});

test('of two activations of one actor, the stale one cannot commit', async (t) => {
  const database = await createTestDatabase('delivery-fencing');
  const clock = new SimulatedClock();
  const a = await startCounterNode(database.url, { clock, nodeId: 'node-a' });
  const b = await startCounterNode(database.url, { clock, nodeId: 'node-b' });
  t.is(await drive(clock, a.node.ask(counter('f'), 'add', { amount: 1 })), 1);
  t.is(await drive(clock, b.node.ask(counter('f'), 'add', { amount: 10 })), 11, 'the newer activation loaded the committed state');
  const error = await t.throwsAsync(drive(clock, a.node.ask(counter('f'), 'add', { amount: 100 })), { instanceOf: ActorError });
  t.is(error?.code, 'stale_epoch');
  const row = (await a.db.sequelize.model('Counter').findByPk('f', { raw: true })) as unknown as CounterRow;
  t.is(row.total, 11, "the stale activation's write was refused");
  t.is(row.count, 2);
  // The refused add is still accepted (in the outbox, as a cluster's stale owner would hand it over): the current
  // activation applies it first, in send order, then the next one, each once.
  t.is(await drive(clock, b.node.ask(counter('f'), 'add', { amount: 1 })), 112, 'the current activation keeps committing');
  t.is(await b.db.models.Outbox.count(), 0);
  t.is(await b.db.models.Inbox.count(), 4);
  await a.stop();
  await b.stop();
  await database.drop();
});

test('an idle actor passivates under the simulated clock and comes back with its state', async (t) => {
  const database = await createTestDatabase('delivery-passivation');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock, passivateAfterMs: 10_000 });
  await drive(clock, node.ask(counter('idle'), 'add', { amount: 3 }));
  t.is(node.activeCount('counter'), 1);
  await clock.advance(5_000);
  t.is(node.activeCount('counter'), 1, 'not before its idle time');
  const passivated: string[] = [];
  node.changes.on('change', (e) => {
    if (e.event === 'passivated') passivated.push(e.ref.id);
  });
  await clock.advance(6_000);
  t.is(node.activeCount('counter'), 0);
  t.deepEqual(passivated, ['idle']);
  const row = await drive(clock, node.ask<CounterRow>(counter('idle'), 'get', {}));
  t.is(row.total, 3);
  t.is(node.info(counter('idle'))?.epoch, 2);
  await stop();
  await database.drop();
});

test('handled message ids are forgotten after the retention, and only those', async (t) => {
  const database = await createTestDatabase('delivery-prune');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock });
  for (let i = 0; i < 3; i++) await drive(clock, node.ask(counter('old'), 'add', { amount: 1 }));
  await clock.advance(30 * 60_000);
  await drive(clock, node.ask(counter('recent'), 'add', { amount: 5 }));
  t.is(await db.models.Inbox.count(), 4);
  // Default retention one hour, swept every ten minutes. The sweep re-arms once its write is done, so the
  // clock moves a minute at a time until it has run (the recent id would only expire after 90 minutes).
  await clock.advance(40 * 60_000);
  for (let minute = 70; minute < 85 && (await db.models.Inbox.count()) !== 1; minute++) await clock.advance(60_000);
  await eventually(async () => (await db.models.Inbox.count()) === 1);
  t.deepEqual(
    ((await db.models.Inbox.findAll({ raw: true })) as unknown as Array<{ actor_id: string }>).map((r) => r.actor_id),
    ['recent'],
  );
  t.is((await drive(clock, node.ask<CounterRow>(counter('old'), 'get', {}))).total, 3, 'state is untouched');
  await stop();
  await database.drop();
});
