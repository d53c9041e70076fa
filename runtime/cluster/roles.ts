import type { Placement } from '../kind.js';
import type { ClusterView } from './types.js';

/**
 * Whether a node holding `roles` may activate a kind's actors: a movable kind on any node with one of its roles,
 * a pinned one only where its pin was announced (`pins`, e.g. `host/compute-1`, `router/*` for every actor of a kind,
 * `console/node-1:*` for those whose ids start `node-1:`).
 */
export function mayActivate(placement: Placement, roles: readonly string[], pin: string, pins: readonly string[]): boolean {
  return 'movable' in placement ? placement.roles.some((r) => roles.includes(r)) : holdsPin(pins, pin);
}

/**
 * Whether announced pins cover `kind/id`: the pin itself, or a pin ending in `*` naming a prefix of it — the kind's
 * wildcard `kind/*`, or `kind/prefix*` for actors whose ids a node makes with a prefix of its own (console sessions).
 */
export function holdsPin(pins: readonly string[], pin: string): boolean {
  return pins.some((p) => (p.endsWith('*') ? pin.startsWith(p.slice(0, -1)) : p === pin));
}

// FNV-1a: a stable spread of keys over nodes, the same on every node and across restarts.
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A live node holding `role` to hand work keyed by `key` to: this node when it holds the role (no hop),
 * otherwise one of the others, spread by the key. Undefined when no live node holds it.
 */
export function nodeWithRole(view: ClusterView, role: string, key: string): string | undefined {
  const live = view
    .nodes()
    .filter((n) => n.status === 'up' && n.roles.includes(role))
    .map((n) => n.nodeId)
    .sort();
  if (live.includes(view.self)) return view.self;
  return live.length ? live[hash(key) % live.length] : undefined;
}
