// The cluster as every node sees it: members from the database's leases, who owns which actor, and what an
// operator may do to a node. Implemented by runtime/cluster/; read by the admin API, /metrics and os-services.

/** Bumped whenever envelopes, replies or control messages change shape: a node of another version may not join. */
export const CLUSTER_PROTOCOL_VERSION = 1;

export type NodeStatus = 'up' | 'draining' | 'down' | 'left';

export interface NodeInfo {
  readonly nodeId: string;
  readonly roles: readonly string[];
  /** Where its admin API answers, for operators and for cluster-wide introspection. */
  readonly address: string;
  readonly protocolVersion: number;
  readonly status: NodeStatus;
  /** Renewed every lease/3 by the node itself; past it, the node counts as down. */
  readonly leaseExpiresAt: number;
  readonly startedAt: number;
  /** Changes at every (re)join: writes of an older incarnation are fenced off. */
  readonly incarnation: string;
  /** Pinned actors this node holds, e.g. `host/compute-1`. */
  readonly pins: readonly string[];
  readonly load: { readonly activations: number; readonly mailbox: number };
}

export interface ClusterView {
  readonly self: string;
  /** Every node known, live or not, by node id. */
  nodes(): readonly NodeInfo[];
  /** The node that owns an actor now, or undefined if none can (no live node with its role, its pin's node away). */
  ownerOf(kind: string, id: string): string | undefined;
  /** Takes no new activations and hands movable actors to the other nodes; resolves when they are handed over. */
  drain(nodeId: string): Promise<void>;
  /** Called with the new view whenever membership changes. */
  onChange(listener: (nodes: readonly NodeInfo[]) => void): () => void;
}
