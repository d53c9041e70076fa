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
