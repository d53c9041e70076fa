import type { ActorNode } from '../runtime/node.js';
import { ref } from '../runtime/ref.js';
import { hostKind, type HostDeps } from '../actors/host/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';
import { watchHypervisor } from '../actors/host/event-watch.js';

// A failed host actor marks the host 'failed', so the scheduler can leave it out until an operator restarts it.
export function superviseHost(node: ActorNode, settings: KindSupervisorSettings, deps: HostDeps): void {
  node.supervise(hostKind(deps), policyFrom(settings.supervision), settings.passivateAfterMs);
}

/**
 * Keeps the compute services of these hosts reporting in, every `intervalMs` on the node's clock: each
 * report carries its send time and is transient, so none is replayed after a restart.
 */
export function reportHosts(node: ActorNode, hosts: readonly string[], intervalMs: number): () => void {
  let timer = node.clock.setTimeout(function tick() {
    for (const host of hosts) {
      try {
        node.tell(ref('host', host), 'heartbeat', { sent_at: node.clock.now() });
      } catch (error) {
        node.logger.warn({ err: error, host }, 'heartbeat not sent');
      }
    }
    timer = node.clock.setTimeout(tick, intervalMs);
  }, intervalMs);
  return () => node.clock.clearTimeout(timer);
}

/** Tells these hosts to read their guests' power states every `intervalMs` (Nova's sync_power_state_interval). */
export function syncHosts(node: ActorNode, hosts: readonly string[], intervalMs: number): () => void {
  let timer = node.clock.setTimeout(function tick() {
    for (const host of hosts) {
      try {
        node.tell(ref('host', host), 'syncPower', {});
      } catch (error) {
        node.logger.warn({ err: error, host }, 'power sync not asked');
      }
    }
    timer = node.clock.setTimeout(tick, intervalMs);
  }, intervalMs);
  return () => node.clock.clearTimeout(timer);
}

/** Passes each real hypervisor's lifecycle events (and the loss of its daemon) to its host actor. */
export function watchHosts(
  node: ActorNode,
  hosts: ReadonlyArray<{ name: string; uri: string }>,
  settings: { retryMs: number; keepAliveInterval: number; keepAliveCount: number; dropEvents?: () => boolean },
): () => Promise<void> {
  const stops = hosts.map((h) =>
    watchHypervisor({
      uri: h.uri,
      clock: node.clock,
      logger: node.logger,
      ...settings,
      tell: (type, payload) => {
        try {
          node.tell(ref('host', h.name), type, payload);
        } catch (error) {
          node.logger.warn({ err: error, host: h.name, type }, 'hypervisor event not passed on');
        }
      },
    }),
  );
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
