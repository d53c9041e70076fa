import type { Placement } from '../kind.js';
import { holdsPin } from './roles.js';
import type { NodeInfo } from './types.js';

/** Per-role weights: a node's weight is the largest of its roles' the kind may run on (1 by default). */
export type RoleWeights = Readonly<Record<string, number>>;

/**
 * Where an actor lives among the live nodes given. Movable: rendezvous hashing of (kind, id) over the
 * nodes holding one of the kind's roles that take new activations, so when a node comes or goes only
 * its own actors move. Pinned: the node announcing the pin `kind/id` (or
 * `kind/*`), undefined while none does.
 */
export function placeActor(placement: Placement, kind: string, id: string, live: readonly NodeInfo[], weights: RoleWeights = {}): string | undefined {
  if ('pinned' in placement) {
    const pin = `${kind}/${id}`;
    // A node's own pin first; a kind's wildcard (`router/*`) on the first live node announcing it, in node order.
    return (
      live.find((n) => n.pins.includes(pin))?.nodeId ??
      [...live].filter((n) => n.status === 'up' && holdsPin(n.pins, pin)).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1))[0]?.nodeId
    );
  }
  const key = hash32(`${kind}/${id}`);
  let best: string | undefined;
  let bestScore = -Infinity;
  for (const node of live) {
    if (node.status !== 'up') continue;
    const weight = nodeWeight(node, placement.roles, weights);
    if (weight <= 0) continue;
    // Weighted rendezvous: -w / ln(u), u uniform in (0, 1) from the key and the node together.
    const u = (mix(key ^ hash32(node.nodeId)) + 0.5) / 0x1_0000_0000;
    const score = -weight / Math.log(u);
    if (score > bestScore || (score === bestScore && best !== undefined && node.nodeId < best)) {
      best = node.nodeId;
      bestScore = score;
    }
  }
  return best;
}

function nodeWeight(node: NodeInfo, roles: readonly string[], weights: RoleWeights): number {
  if (roles.length === 0) return 1;
  let weight = 0;
  for (const role of node.roles) if (roles.includes(role)) weight = Math.max(weight, weights[role] ?? 1);
  return weight;
}

/** FNV-1a, then mixed: cheap, stable across processes and versions. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix(h);
}

// MurmurHash3's finaliser: FNV alone spreads similar keys poorly.
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
