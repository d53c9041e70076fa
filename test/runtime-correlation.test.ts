import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openDatabase } from '../models/database.js';
import { ActorNode } from '../runtime/node.js';
import { SqlStore } from '../runtime/stores/sql-store.js';
import { InProcessTransport } from '../runtime/transports/in-process.js';
import { SimulatedClock } from '../runtime/clock.js';
import { createTestDatabase } from './helpers/database.js';
import { drive, eventually } from './helpers/drive.js';
import { testPolicy } from './helpers/runtime.js';
import { counterKind, defineCounterModel } from './fixtures/counter-kind.js';

test('a correlation id follows a request through every message it causes, into the logs', async (t) => {
  const database = await createTestDatabase('correlation');
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((l: string) => JSON.parse(l)),
      );
      done();
    },
  });
  const db = await openDatabase(database.url);
  await defineCounterModel(db.sequelize);
  const clock = new SimulatedClock();
  const store = new SqlStore(db, { maxBatch: 100, crashHistory: 5, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: 'n',
    store,
    transport: new InProcessTransport(),
    clock,
    logger: pino({ level: 'debug' }, sink),
    requestTimeoutMs: 10_000,
    passivationSweepMs: 1_000,
    recentMessages: 4,
  });
  node.supervise(counterKind, { ...testPolicy, maxMessageAttempts: 1 }, 60_000);
  await node.start();

  // c1 relays to c2, whose handler crashes on the relayed message: the crash log carries the id.
  const correlationId = 'req-11111111-2222-4333-8444-555555555555';
  await drive(clock, node.ask({ kind: 'counter', id: 'c1' }, 'relay', { to: 'c2', amount: 1 }, { correlationId }));
  await eventually(async () => (await db.models.Inbox.count()) === 2);
  const added = lines.find((l) => l.msg === 'added');
  t.is(added?.actor, 'counter/c2');
  t.is(added?.correlationId, correlationId, 'the message c1 sent carried the id to c2');

  await drive(
    clock,
    node.ask({ kind: 'counter', id: 'c2' }, 'explode', {}, { correlationId }).catch(() => undefined),
  );
  const crash = lines.find((l) => l.msg === 'actor crashed');
  t.is(crash?.correlationId, correlationId);
  t.is(crash?.actor, 'counter/c2');
  await node.stop();
  await store.close();
  await db.close();
  await database.drop();
});
