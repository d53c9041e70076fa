import type { ActorNode } from '../runtime/node.js';
import { networkKind } from '../actors/network/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed network actor marks the network ERROR; it takes no more changes until an operator restarts it.
export function superviseNetwork(node: ActorNode, settings: KindSupervisorSettings): void {
  node.supervise(networkKind, policyFrom(settings.supervision), settings.passivateAfterMs);
}
