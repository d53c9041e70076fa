import type { ActorNode } from '../runtime/node.js';
import { schedulerKind } from '../actors/scheduler/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed scheduler has no entity to mark: only its actor record says so, and it refuses messages until restarted.
export function superviseScheduler(node: ActorNode, settings: KindSupervisorSettings): void {
  node.supervise(schedulerKind, policyFrom(settings.supervision), settings.passivateAfterMs);
}
