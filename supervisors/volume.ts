import type { ActorNode } from '../runtime/node.js';
import { volumeKind } from '../actors/volume/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed volume actor marks the volume 'error' (still attached if it was), so it is neither attached nor deleted by accident.
export function superviseVolume(node: ActorNode, settings: KindSupervisorSettings): void {
  node.supervise(volumeKind, policyFrom(settings.supervision), settings.passivateAfterMs);
}
