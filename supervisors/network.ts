import type { ActorNode } from '../runtime/node.js';
import { networkKind, type NetworkDeps } from '../actors/network/index.js';
import { routerKind, type RouterDeps } from '../actors/router/index.js';
import { policyFrom, type KindSupervisorSettings } from './policy.js';

/** The network and router kinds: every node knows them (to address them); where they live is their placement. */
export function superviseNetworks(node: ActorNode, settings: KindSupervisorSettings, deps: { network: NetworkDeps; router: RouterDeps }): void {
  node.supervise(networkKind(deps.network), policyFrom(settings.supervision), settings.passivateAfterMs);
  node.supervise(routerKind(deps.router), policyFrom(settings.supervision), settings.passivateAfterMs);
}
