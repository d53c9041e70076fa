import type { ActorNode } from '../runtime/node.js';
import { ref } from '../runtime/ref.js';
import { schedulerKind, type SchedulerDeps } from '../actors/scheduler/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

export function superviseScheduler(node: ActorNode, settings: KindSupervisorSettings, deps: SchedulerDeps): void {
  node.supervise(schedulerKind(deps), policyFrom(settings.supervision), settings.passivateAfterMs);
}

/** Keeps this node's nova-scheduler service reporting in. */
export function reportScheduler(node: ActorNode, name: string, intervalMs: number): () => void {
  const beat = () => {
    try {
      node.tell(ref('scheduler', name), 'heartbeat', { sent_at: node.clock.now() });
    } catch (error) {
      node.logger.warn({ err: error }, 'heartbeat not sent');
    }
  };
  beat();
  let timer = node.clock.setTimeout(function tick() {
    beat();
    timer = node.clock.setTimeout(tick, intervalMs);
  }, intervalMs);
  return () => node.clock.clearTimeout(timer);
}
