import type { NeutronRouterRow } from '../../models/index.js';
import { defineKind } from '../../runtime/kind.js';
import { routerBehaviour, type RouterDeps } from './behaviour.js';
import { routerProtocol } from './protocol.js';

export { routerProtocol, routerBehaviour, type RouterDeps };
export type { RouterOps, RouterGateway, RouterInterface } from './ops.js';

/** Every router's pin: a node with the `network` role announces it (its namespaces will live there). */
export const ROUTER_PIN = 'router/*';

export const routerKind = (deps: RouterDeps) =>
  defineKind<NeutronRouterRow, typeof routerProtocol.spec>({
    kind: 'router',
    protocol: routerProtocol,
    behaviour: routerBehaviour(deps),
    model: 'NeutronRouter',
    key: 'id',
    shared: ['project_id', 'status'],
    // Pinned to the node with the `network` role that announces `router/*` (the first such live node).
    placement: { pinned: true },
    passivates: true,
    onFailed: () => undefined,
    summary: (s) => (s ? { name: s.name, status: s.status } : {}),
  });
