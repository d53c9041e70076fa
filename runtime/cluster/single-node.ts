import { randomUUID } from 'node:crypto';
import type { Placement } from '../kind.js';
import { mayActivate } from './roles.js';
import { CLUSTER_PROTOCOL_VERSION, type ClusterView, type NodeInfo, type NodeStatus } from './types.js';

/** What the all-in-one's view knows of its only node. */
export interface SingleNodeOptions {
  readonly nodeId: string;
  readonly roles: readonly string[];
  /** Where its admin API answers; read when the view is, as the port is known only once it listens. */
  readonly address: () => string;
  readonly startedAt: number;
  readonly now: () => number;
  /** How far ahead its lease is shown: a node without Redis holds no lease, it is alive while it answers. */
  readonly leaseMs: number;
  /** Pinned actors it holds (`host/compute-1`), read when the view is. */
  readonly pins: () => readonly string[];
  readonly load: () => NodeInfo['load'];
  /** Placement of a kind this node supervises; undefined for a kind it does not know. */
  readonly placementOf: (kind: string) => Placement | undefined;
}

/**
 * The cluster view of a node that is the whole cloud (no Redis): itself and nothing else. The operator API,
 * /metrics and the scheduler choice read this through the same interface as a cluster's view. A drain marks it
 * draining and ends at once: with no other node there is nowhere to hand its movable actors to, so they stay.
 */
export class SingleNodeView implements ClusterView {
  readonly self: string;
  private status: NodeStatus = 'up';
  private readonly incarnation = randomUUID();
  private readonly listeners = new Set<(nodes: readonly NodeInfo[]) => void>();

  constructor(private readonly options: SingleNodeOptions) {
    this.self = options.nodeId;
  }

  nodes(): readonly NodeInfo[] {
    const o = this.options;
    return [
      {
        nodeId: o.nodeId,
        roles: [...o.roles],
        address: o.address(),
        protocolVersion: CLUSTER_PROTOCOL_VERSION,
        status: this.status,
        leaseExpiresAt: o.now() + o.leaseMs,
        startedAt: o.startedAt,
        incarnation: this.incarnation,
        pins: [...o.pins()],
        load: o.load(),
      },
    ];
  }

  ownerOf(kind: string, id: string): string | undefined {
    const placement = this.options.placementOf(kind);
    // A lone node keeps what it holds while draining: there is no other node to take it.
    if (!placement) return undefined;
    return mayActivate(placement, this.options.roles, `${kind}/${id}`, this.options.pins()) ? this.self : undefined;
  }

  drain(nodeId: string): Promise<void> {
    if (nodeId !== this.self) return Promise.reject(new Error(`no node '${nodeId}' in this cluster`));
    if (this.status === 'up') {
      this.status = 'draining';
      const nodes = this.nodes();
      for (const listener of this.listeners) listener(nodes);
    }
    return Promise.resolve();
  }

  onChange(listener: (nodes: readonly NodeInfo[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
