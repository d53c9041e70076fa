import client from 'prom-client';
import type { ClusterView, NodeStatus } from './types.js';

const STATUSES: readonly NodeStatus[] = ['up', 'draining', 'down', 'left'];

/** Cluster gauges beside a node's own metrics: the same figures on every node, as its view has them. */
export function registerClusterMetrics(registry: client.Registry, view: ClusterView, now: () => number): void {
  new client.Gauge({
    name: 'stratus_cluster_nodes',
    help: 'Nodes of the cluster by status, as this node sees them',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const nodes = view.nodes();
      for (const status of STATUSES) this.set({ status }, nodes.filter((n) => n.status === status).length);
    },
  });
  new client.Gauge({
    name: 'stratus_cluster_node_lease_remaining_seconds',
    help: 'Time left on each known node’s membership lease (negative: expired)',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of view.nodes()) this.set({ node: n.nodeId }, (n.leaseExpiresAt - now()) / 1000);
    },
  });
}

/** What a transport that crosses processes counts (the Redis transport's stats). */
export interface TransportCounts {
  readonly sent: number;
  readonly received: number;
  readonly pending: number;
  readonly refused: number;
  readonly redelivered: number;
  readonly malformed: number;
  readonly lost: number;
}

const TRANSPORT_COUNTERS = {
  sent: 'Envelopes and replies this node wrote to other nodes’ mailboxes',
  received: 'Envelopes and replies this node read from its mailbox (redelivered ones too)',
  refused: 'Envelopes refused because the target’s mailbox was full',
  redelivered: 'Durable envelopes read again after going unacknowledged',
  malformed: 'Mailbox entries that were not a valid envelope or reply (logged and dropped)',
  lost: 'Envelopes and replies a failed write lost (durable ones come back from the outbox)',
} as const;

/** The cross-node transport's counts on /metrics: traffic, refusals at the bound, redeliveries, losses. */
export function registerTransportMetrics(registry: client.Registry, counts: () => TransportCounts): void {
  for (const [key, help] of Object.entries(TRANSPORT_COUNTERS) as Array<[keyof typeof TRANSPORT_COUNTERS, string]>) {
    new client.Counter({
      name: `stratus_transport_${key}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts()[key]);
      },
    });
  }
  new client.Gauge({
    name: 'stratus_transport_pending',
    help: 'Durable envelopes delivered to this node and not yet acknowledged (handled and committed)',
    registers: [registry],
    collect() {
      this.set(counts().pending);
    },
  });
}
