import type { ActorGateway } from '../client.js';
import { ActorError } from '../errors.js';
import type { ClusterView } from './types.js';

/**
 * A gateway that refuses, with `unavailable`, a request to an actor of a movable kind that no live node may hold
 * now (no node with one of its roles), instead of letting this node activate it where its roles say it must not
 * run. Pinned kinds pass: an operator still reaches a host whose node is gone (to disable or delete its service).
 */
export function placedGateway(gateway: ActorGateway, view: ClusterView, movable: (kind: string) => boolean): ActorGateway {
  return {
    ask: (to, type, payload, options) =>
      movable(to.kind) && view.ownerOf(to.kind, to.id) === undefined
        ? Promise.reject(new ActorError('unavailable', `no live node can run ${to.kind} ${to.id} now`))
        : gateway.ask(to, type, payload, options),
    ...(gateway.isActive ? { isActive: (ref) => gateway.isActive!(ref) } : {}),
  };
}
