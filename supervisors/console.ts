import type { ActorNode } from '../runtime/node.js';
import { consoleKind, type ConsoleDeps } from '../actors/console/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// Every node supervises the console kind (an ask from any node reaches the session's own node); only a node that
// announces a session's pin activates it.
export function superviseConsole(node: ActorNode, settings: KindSupervisorSettings, deps: ConsoleDeps): void {
  node.supervise(consoleKind(deps), policyFrom(settings.supervision), settings.passivateAfterMs);
}
