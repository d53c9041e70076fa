import type { ActorNode } from '../runtime/node.js';
import { DEFAULT_INSTANCE_TIMEOUTS, instanceKindWith, type InstanceTimeouts } from '../actors/instance/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed instance actor puts the server in ERROR with a 500 fault, as a failed Nova build does.
export function superviseInstance(node: ActorNode, settings: KindSupervisorSettings, timeouts: InstanceTimeouts = DEFAULT_INSTANCE_TIMEOUTS): void {
  node.supervise(instanceKindWith(timeouts), policyFrom(settings.supervision), settings.passivateAfterMs);
}
