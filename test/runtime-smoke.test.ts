import test from 'ava';
import { createTestDatabase } from './helpers/database.js';
import { startCounterNode } from './helpers/runtime.js';

test('durable messages update state and survive a new node on the same database', async (t) => {
  const database = await createTestDatabase('smoke');
  const a = await startCounterNode(database.url);
  const c = { kind: 'counter', id: 'c1' };
  t.is(await a.node.ask(c, 'add', { amount: 2 }), 2);
  t.is(await a.node.ask(c, 'add', { amount: 3 }), 5);
  await a.stop();
  const b = await startCounterNode(database.url);
  const row = await b.node.ask<{ total: number; count: number }>(c, 'get', {});
  t.is(row.total, 5);
  t.is(row.count, 2);
  await b.stop();
  await database.drop();
});
