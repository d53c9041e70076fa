import type { ClusterView } from '../../runtime/cluster/types.js';
import type { ConsoleSessions } from '../console/sessions.js';
import { askPeer, livePeers } from './peers.js';

// The console sessions of the whole cluster: each node's registry is node-local (the sockets live there), so this
// node lists its own and asks the other live nodes' admin APIs for theirs, with the caller's token.

/** A console session as the admin API and the inspector show it. */
export interface ConsoleSessionView {
  readonly id: string;
  readonly server: string;
  readonly node: string;
  readonly protocol: string;
  readonly since: string;
  readonly bytes_to_guest: number;
  readonly bytes_to_client: number;
}

/** This node's open sessions (none where it runs no console proxy). */
export const consoleSessionViews = (sessions: ConsoleSessions | undefined, node: string): ConsoleSessionView[] =>
  (sessions?.list() ?? []).map((s) => ({
    id: s.id,
    server: s.token.instance_uuid,
    node,
    protocol: s.protocol,
    since: new Date(s.since).toISOString(),
    bytes_to_guest: s.toGuest(),
    bytes_to_client: s.toClient(),
  }));

/** Every live node's sessions; a node that did not answer is named in `unreachable_nodes`. */
export async function clusterConsoles(
  local: ConsoleSessionView[],
  cluster: ClusterView,
  token: string,
): Promise<{ consoles: ConsoleSessionView[]; unreachable_nodes: string[] }> {
  const peers = livePeers(cluster);
  const answers = await Promise.all(peers.map((p) => askPeer<{ consoles?: ConsoleSessionView[] }>(p, 'GET', '/v1/consoles?scope=node', token)));
  return {
    consoles: [...local, ...answers.flatMap((a) => (a?.status === 200 && Array.isArray(a.body.consoles) ? a.body.consoles : []))],
    unreachable_nodes: peers.filter((_, i) => answers[i]?.status !== 200).map((p) => p.nodeId),
  };
}
