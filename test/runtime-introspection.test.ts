import test from 'ava';
import { SimulatedClock } from '../runtime/clock.js';
import { createMetrics } from '../runtime/metrics.js';
import type { ChangeEvent } from '../runtime/registry.js';
import { createTestDatabase } from './helpers/database.js';
import { drive } from './helpers/drive.js';
import { startCounterNode } from './helpers/runtime.js';

const counter = (id: string) => ({ kind: 'counter', id });

test('the registry describes live activations and streams their changes; operators stop and restart them', async (t) => {
  const database = await createTestDatabase('introspection');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock });
  const events: ChangeEvent[] = [];
  node.changes.on('change', (e) => events.push(e));

  await drive(clock, node.ask(counter('i'), 'add', { amount: 2 }));
  await drive(clock, node.ask(counter('i'), 'ping', {}));
  const info = node.info(counter('i'))!;
  t.like(info, {
    kind: 'counter',
    id: 'i',
    node: 'node-1',
    supervisor: 'root/counter',
    status: 'ready',
    epoch: 1,
    mailboxDepth: 0,
    handled: 2,
    restarts: 0,
  });
  t.deepEqual(
    info.recent.map((m) => [m.type, m.outcome]),
    [
      ['add', 'ok'],
      ['ping', 'ok'],
    ],
  );
  t.true(info.recent.every((m) => m.ms >= 0));
  t.deepEqual(info.summary, { total: 2 });
  t.is([...node.activations('counter')].length, 1);

  t.true(node.stopActor(counter('i')));
  t.is(node.info(counter('i')), undefined);
  await drive(clock, node.ask(counter('i'), 'add', { amount: 1 }));
  t.is(node.info(counter('i'))?.epoch, 2, 'the next message activated it again from its row');
  await node.restart(counter('i'));
  t.is(await drive(clock, node.ask(counter('i'), 'add', { amount: 1 })), 4);
  t.is(node.info(counter('i'))?.epoch, 3, 'a restart reloads the state under a new epoch');
  t.deepEqual(
    events.map((e) => e.event),
    ['activated', 'stopped', 'activated', 'restarted'],
  );
  t.true(events.every((e) => e.node === 'node-1' && e.ref.id === 'i'));
  await stop();
  await database.drop();
});

test('an operator stop lets the mailbox drain first, so no accepted message is dropped', async (t) => {
  const database = await createTestDatabase('introspection-drain');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock });
  await drive(clock, node.ask(counter('q'), 'add', { amount: 1 }));
  const queued = [node.ask(counter('q'), 'add', { amount: 2 }), node.ask(counter('q'), 'add', { amount: 3 })];
  await drive(
    clock,
    (async () => {
      while (!node.info(counter('q'))?.mailboxDepth) await new Promise((r) => setImmediate(r));
    })(),
  );
  t.true(node.stopActor(counter('q')));
  t.deepEqual(await drive(clock, Promise.all(queued)), [3, 6]);
  t.is(node.info(counter('q')), undefined, 'gone once drained');
  const row = await drive(clock, node.ask<{ total: number }>(counter('q'), 'get', {}));
  t.is(row.total, 6);
  await stop();
  await database.drop();
});

test('/metrics counts messages, activations, crashes and dead letters per kind', async (t) => {
  const database = await createTestDatabase('metrics');
  const clock = new SimulatedClock();
  const { node, stop } = await startCounterNode(database.url, { clock, policy: { maxMessageAttempts: 1 } });
  const registry = createMetrics(node);
  await drive(clock, node.ask(counter('m1'), 'add', { amount: 1 }));
  await drive(clock, node.ask(counter('m2'), 'ping', {}));
  await drive(
    clock,
    node.ask(counter('m2'), 'explode', {}).catch(() => undefined),
  );
  await drive(clock, node.ask(counter('m2'), 'ping', {}));
  const text = await registry.metrics();
  t.regex(text, /stratus_actor_messages_total\{kind="counter",delivery="durable"\} 1/);
  t.regex(text, /stratus_actor_messages_total\{kind="counter",delivery="transient"\} 2/);
  t.regex(text, /stratus_actor_activations_total\{kind="counter"\} 2/);
  t.regex(text, /stratus_actor_active\{kind="counter"\} 2/);
  t.regex(text, /stratus_actor_crashes_total\{kind="counter"\} 1/);
  t.regex(text, /stratus_actor_dead_letters_total\{kind="counter"\} 1/);
  t.regex(text, /stratus_actor_handler_seconds_count\{kind="counter"\} 4/);
  t.regex(text, /stratus_actor_mailbox_depth\{kind="counter"\} 0/);
  t.regex(text, /stratus_store_transactions_total \d+/);
  t.regex(text, /stratus_store_busy_seconds_total \d/);
  await stop();
  await database.drop();
});
