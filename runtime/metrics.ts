import client from 'prom-client';
import type { ActorNode } from './node.js';
import type { KindStats } from './kind-runtime.js';

type CounterField = { [K in keyof KindStats]: KindStats[K] extends number ? K : never }[keyof KindStats];

/**
 * Prometheus metrics for one node. Hot-path counts are plain numbers kept per kind and read
 * when scraped; only handler latency is a histogram, observed through a pre-bound child.
 */
export function createMetrics(node: ActorNode): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'stratus_' });
  const kinds = () => node.kindRuntimes();

  const counter = (name: string, help: string, fields: Array<[CounterField, Record<string, string>]>) =>
    new client.Counter({
      name,
      help,
      registers: [registry],
      labelNames: ['kind', ...new Set(fields.flatMap(([, l]) => Object.keys(l)))],
      collect() {
        this.reset();
        for (const k of kinds()) for (const [field, labels] of fields) this.inc({ kind: k.definition.kind, ...labels }, k.stats[field]);
      },
    });
  const gauge = (name: string, help: string, read: (kind: string) => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      labelNames: ['kind'],
      collect() {
        for (const k of kinds()) this.set({ kind: k.definition.kind }, read(k.definition.kind));
      },
    });

  counter('stratus_actor_messages_total', 'Messages handled, by kind and delivery', [
    ['durable', { delivery: 'durable' }],
    ['transient', { delivery: 'transient' }],
  ]);
  counter('stratus_actor_messages_refused_total', 'Messages answered with an error without a crash', [
    ['invalid', { reason: 'invalid' }],
    ['rejected', { reason: 'rejected' }],
  ]);
  counter('stratus_actor_crashes_total', 'Handler crashes', [['crashes', {}]]);
  counter('stratus_actor_restarts_total', 'Actor restarts by their supervisor', [['restarts', {}]]);
  counter('stratus_actor_dead_letters_total', 'Messages moved to the dead-letter table', [['deadLetters', {}]]);
  counter('stratus_actor_failures_total', 'Actors stopped after exceeding their restart intensity', [['failures', {}]]);
  counter('stratus_actor_activations_total', 'Activations', [['activations', {}]]);
  counter('stratus_actor_passivations_total', 'Passivations of idle actors', [['passivations', {}]]);

  const each = (kind: string, f: (depth: number, status: string) => number) => {
    let n = 0;
    for (const a of node.activations(kind)) n += f(a.depth, a.status);
    return n;
  };
  gauge('stratus_actor_active', 'Live activations', (kind) => node.activeCount(kind));
  gauge('stratus_actor_mailbox_depth', 'Messages waiting in mailboxes', (kind) => each(kind, (d) => d));
  gauge('stratus_actor_mailbox_depth_max', 'Deepest mailbox', (kind) => {
    let max = 0;
    for (const a of node.activations(kind)) max = Math.max(max, a.depth);
    return max;
  });
  gauge('stratus_actor_failed', 'Activations marked failed, awaiting an operator', (kind) => each(kind, (_d, s) => (s === 'failed' ? 1 : 0)));

  const latency = new client.Histogram({
    name: 'stratus_actor_handler_seconds',
    help: 'Handler latency including its commit',
    labelNames: ['kind'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  for (const k of kinds()) {
    const child = latency.labels({ kind: k.definition.kind });
    k.stats.observe = (seconds) => child.observe(seconds);
  }

  const { stats } = node.store;
  new client.Counter({
    name: 'stratus_store_transactions_total',
    help: 'Group-commit transactions',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.transactions);
    },
  });
  new client.Counter({
    name: 'stratus_store_operations_total',
    help: 'Writes applied by group commits',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.operations);
    },
  });
  new client.Counter({
    name: 'stratus_store_stale_writes_total',
    help: 'Commits refused by epoch fencing: a newer activation of the actor exists (on this node or another)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.staleWrites);
    },
  });
  new client.Counter({
    name: 'stratus_store_busy_seconds_total',
    help: 'Time spent running group-commit transactions',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.busyMs / 1000);
    },
  });
  new client.Gauge({
    name: 'stratus_store_last_batch',
    help: 'Writes in the latest group commit',
    registers: [registry],
    collect() {
      this.set(stats.lastBatch);
    },
  });
  new client.Gauge({
    name: 'stratus_pending_requests',
    help: 'Requests awaiting a reply',
    registers: [registry],
    collect() {
      this.set(node.pendingRequests);
    },
  });
  return registry;
}
