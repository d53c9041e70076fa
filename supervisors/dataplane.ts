import type { ActorNode } from '../runtime/node.js';
import { ref } from '../runtime/ref.js';
import { dataPlaneKind, type DataPlaneDeps } from '../actors/dataplane/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

export function superviseDataPlane(node: ActorNode, settings: KindSupervisorSettings, deps: DataPlaneDeps): void {
  node.supervise(dataPlaneKind(deps), policyFrom(settings.supervision), settings.passivateAfterMs);
}

/**
 * Keeps this node's data plane following the tables: applied at once, compared every `pollMs` (applied when the plan
 * changed: a port bound or removed, a rule or a member added), applied whatever the plan every `repairMs`. Each tick
 * waits for the last one's answer, so a slow apply never piles up nudges.
 */
export function driveDataPlane(node: ActorNode, name: string, timing: { pollMs: number; repairMs: number }): () => void {
  let stopped = false;
  let timer: ReturnType<typeof node.clock.setTimeout> | undefined;
  let lastForced = Number.NEGATIVE_INFINITY;
  const tick = async () => {
    const force = node.clock.now() - lastForced >= timing.repairMs;
    if (force) lastForced = node.clock.now();
    try {
      await node.ask(ref('dataplane', name), 'reconcile', { force });
    } catch (error) {
      node.logger.warn({ err: error }, 'data plane not reached');
    }
    if (!stopped) timer = node.clock.setTimeout(() => void tick(), timing.pollMs);
  };
  void tick();
  return () => {
    stopped = true;
    node.clock.clearTimeout(timer);
  };
}
