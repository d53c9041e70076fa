import type { ActorNode } from '../runtime/node.js';
import { consoleKind } from '../actors/console/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

// A failed console actor marks the session 'failed', so its token no longer opens the display.
export function superviseConsole(node: ActorNode, settings: KindSupervisorSettings): void {
  node.supervise(consoleKind, policyFrom(settings.supervision), settings.passivateAfterMs);
}
