import { openDatabase, type Database } from '../../models/database.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { InProcessTransport } from '../../runtime/transports/in-process.js';
import { SimulatedClock, type Clock } from '../../runtime/clock.js';
import { silentLogger } from '../../runtime/logger.js';
import type { SupervisionPolicy } from '../../runtime/supervision.js';
import { counterKind, defineCounterModel } from '../fixtures/counter-kind.js';

export const testPolicy: SupervisionPolicy = {
  maxRestarts: 5,
  withinMs: 60_000,
  backoffBaseMs: 100,
  backoffMaxMs: 5_000,
  maxMessageAttempts: 3,
};

export interface TestNode {
  readonly node: ActorNode;
  readonly db: Database;
  readonly store: SqlStore;
  readonly clock: Clock;
  readonly stop: () => Promise<void>;
}

/** A node with the test-only counter kind on its own database connection. */
export async function startCounterNode(
  url: string,
  options: {
    nodeId?: string;
    clock?: Clock;
    policy?: Partial<SupervisionPolicy>;
    passivateAfterMs?: number;
    maxBatch?: number;
    pipelined?: boolean;
  } = {},
): Promise<TestNode> {
  const db = await openDatabase(url);
  await defineCounterModel(db.sequelize);
  const clock = options.clock ?? new SimulatedClock();
  const store = new SqlStore(db, { maxBatch: options.maxBatch ?? 500, crashHistory: 5, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: options.nodeId ?? 'node-1',
    store,
    transport: new InProcessTransport(),
    clock,
    logger: silentLogger(),
    requestTimeoutMs: 10_000,
    passivationSweepMs: 1_000,
    recentMessages: 8,
  });
  node.supervise({ ...counterKind, pipelined: options.pipelined }, { ...testPolicy, ...options.policy }, options.passivateAfterMs ?? 60_000);
  await node.start();
  return {
    node,
    db,
    store,
    clock,
    stop: async () => {
      await node.stop();
      await store.close();
      await db.close();
    },
  };
}

/**
 * A real write fault: a trigger by which the database itself refuses every update of a counter's
 * row while the fault is armed (a row in test_faults).
 */
export async function refuseCounterWrites(db: Database): Promise<{ arm(): Promise<void>; disarm(): Promise<void> }> {
  const q = (sql: string) => db.sequelize.query(sql);
  await q('CREATE TABLE test_faults (x INTEGER)');
  if (db.dialect === 'sqlite') {
    await q(`CREATE TRIGGER test_counters_fault BEFORE UPDATE ON test_counters WHEN EXISTS (SELECT 1 FROM test_faults)
             BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`);
  } else {
    await q(`CREATE FUNCTION test_counters_fault() RETURNS trigger AS $$ BEGIN
               IF EXISTS (SELECT 1 FROM test_faults) THEN RAISE EXCEPTION 'injected write failure'; END IF; RETURN NEW;
             END $$ LANGUAGE plpgsql`);
    await q('CREATE TRIGGER test_counters_fault BEFORE UPDATE ON test_counters FOR EACH ROW EXECUTE FUNCTION test_counters_fault()');
  }
  return {
    arm: async () => {
      await q('INSERT INTO test_faults VALUES (1)');
    },
    disarm: async () => {
      await q('DELETE FROM test_faults');
    },
  };
}
