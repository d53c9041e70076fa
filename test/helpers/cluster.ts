import { openDatabase, type Database } from '../../models/database.js';
import type { SimulatedClock } from '../../runtime/clock.js';
import { Membership } from '../../runtime/cluster/membership.js';
import type { HandlerContext } from '../../runtime/kind.js';
import { silentLogger } from '../../runtime/logger.js';
import { ActorNode } from '../../runtime/node.js';
import { SqlStore } from '../../runtime/stores/sql-store.js';
import { counterKind, defineCounterModel, type CounterRow } from '../fixtures/counter-kind.js';
import type { ClusterHub } from './cluster-hub.js';
import { testPolicy } from './runtime.js';

/** Amounts whose first `add` to a `gated` counter waits until the test opens the gate (a node caught mid-handler). */
export const held = new Map<number, { opened: Promise<void>; open(): void; reached: boolean }>();

export function holdFirst(amount: number): { open(): void; readonly reached: boolean } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const gate = { opened, open, reached: false };
  held.set(amount, gate);
  return gate;
}

const gatedAdd = counterKind.behaviour.add;
export const gatedKind = {
  ...counterKind,
  kind: 'gated',
  behaviour: {
    ...counterKind.behaviour,
    add: async (state: CounterRow | null, payload: { amount: number }, ctx: HandlerContext) => {
      const gate = held.get(payload.amount);
      if (gate && !gate.reached) {
        gate.reached = true;
        await gate.opened;
      }
      return gatedAdd(state, payload, ctx);
    },
  },
};

/** Counters pinned to the node announcing them (as host actors are beside their hypervisor). */
export const pinnedKind = { ...counterKind, kind: 'pinned', placement: { pinned: true as const }, passivates: false };

/** Counters whose next message is handled while the last one's commit is in flight (as host actors are). */
export const pipedKind = { ...counterKind, kind: 'piped', pipelined: true };

export interface ClusterTestNode {
  readonly id: string;
  readonly node: ActorNode;
  readonly cluster: Membership;
  readonly store: SqlStore;
  readonly db: Database;
  /** As kill -9 or a network cut: the lease is no longer renewed and nothing reaches or leaves the node. */
  kill(): void;
  /** Back on the network, joining again under a new incarnation. */
  revive(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterNodeOptions {
  readonly roles?: readonly string[];
  readonly pins?: readonly string[];
  readonly leaseMs?: number;
  readonly protocolVersion?: number;
}

/** A node of a cluster in this process: its own database connection, the hub as its transport. */
export async function startClusterNode(
  url: string,
  hub: ClusterHub,
  clock: SimulatedClock,
  id: string,
  options: ClusterNodeOptions = {},
): Promise<ClusterTestNode> {
  const db = await openDatabase(url);
  await defineCounterModel(db.sequelize);
  const logger = silentLogger();
  const store = new SqlStore(db, { maxBatch: 500, crashHistory: 5, now: () => clock.now() });
  const cluster = new Membership({
    db,
    clock,
    logger,
    nodeId: id,
    roles: options.roles ?? ['compute'],
    address: `http://${id}.test:8780`,
    pins: options.pins,
    leaseMs: options.leaseMs ?? 30_000,
    protocolVersion: options.protocolVersion,
  });
  const node = new ActorNode({
    nodeId: id,
    store,
    transport: hub.transport(),
    clock,
    logger,
    requestTimeoutMs: 120_000,
    passivationSweepMs: 1_000,
    recentMessages: 8,
    cluster,
  });
  node.supervise(counterKind, testPolicy, 600_000);
  node.supervise(gatedKind, testPolicy, 600_000);
  node.supervise(pinnedKind, testPolicy, 600_000);
  node.supervise(pipedKind, testPolicy, 600_000);
  try {
    await node.start();
  } catch (error) {
    await store.close();
    await db.close();
    throw error;
  }
  return {
    id,
    node,
    cluster,
    store,
    db,
    kill: () => {
      cluster.halt();
      hub.cut(id);
    },
    revive: async () => {
      hub.heal(id);
      await cluster.join(node);
    },
    stop: async () => {
      await node.stop();
      await store.close();
      await db.close();
    },
  };
}

/**
 * Advances simulated time in steps until the condition holds (bounded). Before each step it waits for the
 * nodes' lease renewals under way, so a slow database never lets a live node's lease lapse in simulated time.
 */
export async function until(
  clock: SimulatedClock,
  nodes: readonly ClusterTestNode[],
  condition: () => Promise<boolean> | boolean,
  stepMs = 250,
  maxMs = 600_000,
): Promise<void> {
  for (let elapsed = 0; !(await condition()); elapsed += stepMs) {
    if (elapsed >= maxMs) throw new Error(`condition not met within ${maxMs} ms of simulated time`);
    await Promise.all(nodes.map((n) => n.cluster.idle()));
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The ids of the nodes a view counts live (up or draining), sorted. */
export const liveIn = (n: ClusterTestNode): string =>
  n.cluster
    .nodes()
    .filter((i) => i.status === 'up' || i.status === 'draining')
    .map((i) => i.nodeId)
    .sort()
    .join(',');
