import type { ActorNode } from '../runtime/node.js';
import { hostKind } from '../actors/host/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed host actor marks the host 'failed', so the scheduler can leave it out until an operator restarts it.
export function superviseHost(node: ActorNode, settings: KindSupervisorSettings): void {
  node.supervise(hostKind, policyFrom(settings.supervision), settings.passivateAfterMs);
}
