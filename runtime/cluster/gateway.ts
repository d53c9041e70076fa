import type { ActorGateway } from '../client.js';
import { ActorError } from '../errors.js';
import type { ClusterView } from './types.js';

/**
 * A gateway that refuses, with `unavailable`, a request to an actor no live node may hold now (no node with its
 * kind's role, its pinned node away), instead of letting this node activate it where its roles say it must not run.
 */
export function placedGateway(gateway: ActorGateway, view: ClusterView): ActorGateway {
  return {
    ask: (to, type, payload, options) =>
      view.ownerOf(to.kind, to.id) === undefined
        ? Promise.reject(new ActorError('unavailable', `no live node can run ${to.kind} ${to.id} now`))
        : gateway.ask(to, type, payload, options),
    ...(gateway.isActive ? { isActive: (ref) => gateway.isActive!(ref) } : {}),
  };
}
