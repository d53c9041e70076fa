import type { ClusterView, NodeInfo } from '../../runtime/cluster/types.js';

// The admin API of one node answers for the whole cluster by asking the others' admin APIs (each lists what it
// holds), with the caller's own token, so each node checks it as it would a direct request.

/** How long a peer may take before the answer goes without it (and names it as unreachable). */
export const PEER_TIMEOUT_MS = 2_000;

export interface PeerAnswer<T> {
  readonly node: string;
  readonly status: number;
  readonly body: T;
}

/** The live nodes other than this one, which the cluster-wide answers ask. */
export const livePeers = (cluster: ClusterView): NodeInfo[] =>
  cluster.nodes().filter((n) => n.nodeId !== cluster.self && (n.status === 'up' || n.status === 'draining') && n.address !== '');

/** Sends one request to a peer's admin API; undefined if it did not answer in time (or at all). */
export async function askPeer<T>(peer: NodeInfo, method: string, path: string, token: string): Promise<PeerAnswer<T> | undefined> {
  try {
    const r = await fetch(`${peer.address}${path}`, {
      method,
      headers: { 'x-auth-token': token },
      signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
    });
    const text = await r.text();
    return { node: peer.nodeId, status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  } catch {
    return undefined;
  }
}
