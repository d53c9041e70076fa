import { openDatabase, type Database } from '../../models/database.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { InProcessTransport } from '../../runtime/transports/in-process.js';
import { SimulatedClock, type Clock } from '../../runtime/clock.js';
import { silentLogger } from '../../runtime/logger.js';
import type { SupervisionPolicy } from '../../runtime/supervision.js';
import { counterKind, defineCounterModel } from '../fixtures/counter-kind.js';

export const testPolicy: SupervisionPolicy = {
  maxRestarts: 5, withinMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 5_000, maxMessageAttempts: 3,
};

export interface TestNode {
  readonly node: ActorNode;
  readonly db: Database;
  readonly store: SqlStore;
  readonly clock: Clock;
  stop(): Promise<void>;
}

/** A node with the test-only counter kind on its own database connection. */
export async function startCounterNode(url: string, options: {
  nodeId?: string; clock?: Clock; policy?: Partial<SupervisionPolicy>; passivateAfterMs?: number; maxBatch?: number; pipelined?: boolean;
} = {}): Promise<TestNode> {
  const db = await openDatabase(url);
  await defineCounterModel(db.sequelize);
  const clock = options.clock ?? new SimulatedClock();
  const store = new SqlStore(db, { maxBatch: options.maxBatch ?? 500, crashHistory: 5, now: () => clock.now() });
  const node = new ActorNode({
    nodeId: options.nodeId ?? 'node-1', store, transport: new InProcessTransport(), clock, logger: silentLogger(),
    requestTimeoutMs: 10_000, passivationSweepMs: 1_000, recentMessages: 8,
  });
  node.supervise({ ...counterKind, pipelined: options.pipelined }, { ...testPolicy, ...options.policy }, options.passivateAfterMs ?? 60_000);
  await node.start();
  return {
    node, db, store, clock,
    stop: async () => { await node.stop(); await store.close(); await db.close(); },
  };
}
