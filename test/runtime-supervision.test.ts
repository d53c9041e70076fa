import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { ActorError } from '../runtime/errors.js';
import type { ChangeEvent } from '../runtime/registry.js';
import { createTestDatabase } from './helpers/database.js';
import { drive } from './helpers/drive.js';
import { startCounterNode } from './helpers/runtime.js';
import { failOnce, type CounterRow } from './fixtures/counter-kind.js';

const counter = (id: string) => ({ kind: 'counter', id });

test('a crashed actor restarts with backoff and its state intact, and the message is retried', async (t) => {
  const database = await createTestDatabase('sup-restart');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock });
  const events: ChangeEvent[] = [];
  node.changes.on('change', (e) => events.push(e));

  await drive(clock, node.ask(counter('a'), 'add', { amount: 5 }));
  failOnce.add('k1');
  const total = await drive(clock, node.ask(counter('a'), 'flakyAdd', { amount: 3, key: 'k1' }));
  t.is(total, 8, 'the retried message applied once on the state reloaded from the database');

  const info = node.info(counter('a'))!;
  t.is(info.restarts, 1);
  t.is(info.lastCrash?.reason, 'flaky k1');
  t.truthy(info.lastCrash?.stack?.includes('flaky k1'));
  t.is(info.epoch, 2, 'a restart takes a new epoch');
  t.deepEqual(
    events.map((e) => e.event).filter((e) => e !== 'activated'),
    ['crashed', 'restarted'],
  );
  const crashes = (await db.models.ActorCrash.findAll({ raw: true })) as unknown as Array<{ reason: string }>;
  t.deepEqual(
    crashes.map((c) => c.reason),
    ['flaky k1'],
  );
  const row = await drive(clock, node.ask<CounterRow>(counter('a'), 'get', {}));
  t.is(row.count, 2);
  await stop();
  await database.drop();
});

test('past its restart intensity an actor alone is failed; siblings and the node carry on', async (t) => {
  const database = await createTestDatabase('sup-intensity');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock, policy: { maxRestarts: 2, maxMessageAttempts: 10 } });
  await drive(clock, node.ask(counter('bad'), 'add', { amount: 1 }));
  await drive(clock, node.ask(counter('sibling'), 'add', { amount: 7 }));

  const error = await t.throwsAsync(drive(clock, node.ask(counter('bad'), 'explode', {})), { instanceOf: ActorError });
  t.is(error?.code, 'actor_failed');

  const record = (await db.models.ActorRecord.findOne({ where: { kind: 'counter', id: 'bad' }, raw: true })) as unknown as {
    status: string;
    failure_reason: string;
  };
  t.is(record.status, 'failed');
  t.is(record.failure_reason, 'boom');
  const entity = (await db.sequelize.model('Counter').findByPk('bad', { raw: true })) as unknown as CounterRow;
  t.is(entity.note, 'failed: boom', "the kind's own record says it failed");
  t.is(entity.total, 1);
  t.is(await db.models.DeadLetter.count(), 1, 'the message it died on is kept');

  t.is(await drive(clock, node.ask(counter('sibling'), 'add', { amount: 1 })), 8, 'a sibling is untouched');
  const refused = await t.throwsAsync(drive(clock, node.ask(counter('bad'), 'add', { amount: 1 })), { instanceOf: ActorError });
  t.is(refused?.code, 'actor_failed', 'it stays failed');
  t.is(node.info(counter('bad'))?.status, 'failed');

  await stop();

  const again = await startCounterNode(database.url, { clock });
  const stillFailed = await t.throwsAsync(drive(clock, again.node.ask(counter('bad'), 'add', { amount: 1 })), { instanceOf: ActorError });
  t.is(stillFailed?.code, 'actor_failed', 'the failure outlives the node');
  await again.node.restart(counter('bad'));
  t.is(await drive(clock, again.node.ask(counter('bad'), 'add', { amount: 1 })), 2, 'an operator restart brings it back');
  await again.stop();
  await database.drop();
});

test('a poison message is dead-lettered after N attempts and its sender gets an error', async (t) => {
  const database = await createTestDatabase('sup-poison');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock, policy: { maxRestarts: 10, maxMessageAttempts: 3 } });
  await drive(clock, node.ask(counter('p'), 'add', { amount: 4 }));

  const error = await t.throwsAsync(drive(clock, node.ask(counter('p'), 'explode', {})), { instanceOf: ActorError });
  t.is(error?.code, 'dead_letter');
  const letters = (await db.models.DeadLetter.findAll({ raw: true })) as unknown as Array<{
    type: string;
    attempts: number;
    reason: string;
    stack: string;
  }>;
  t.is(letters.length, 1);
  t.like(letters[0], { type: 'explode', attempts: 3, reason: 'boom' });
  t.true(letters[0].stack.includes('boom'));
  t.is(await db.models.Outbox.count(), 0, 'nothing is left to redeliver');

  t.is(await drive(clock, node.ask(counter('p'), 'add', { amount: 1 })), 5, 'the actor goes on with its next message');
  t.is(node.info(counter('p'))?.restarts, 3, 'restarted after each crash, the last one before its next message');
  await stop();
  await database.drop();
});

test('the crash history kept per actor is bounded', async (t) => {
  const database = await createTestDatabase('sup-history');
  const clock = new SimulatedClock();
  const { node, db, stop } = await startCounterNode(database.url, { clock, policy: { maxRestarts: 100, maxMessageAttempts: 2 } });
  for (let i = 0; i < 4; i++) await t.throwsAsync(drive(clock, node.ask(counter('h'), 'explode', {})));
  t.is(await db.models.ActorCrash.count({ where: { actor_id: 'h' } }), 5, 'the store keeps the last 5 of 8 crashes');
  await stop();
  await database.drop();
});
