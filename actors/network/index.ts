import type { NeutronNetworkRow } from '../../models/index.js';
import { defineKind } from '../../runtime/kind.js';
import { networkBehaviour, type NetworkDeps } from './behaviour.js';
import { networkProtocol } from './protocol.js';

export { networkProtocol, networkBehaviour, type NetworkDeps };
export { refusing, type NetworkOps, type Refusal } from './ops.js';

/**
 * Networks move between the nodes that serve the API or hold the `network` role: a network's state is its rows,
 * nothing local to a node.
 */
export const networkKind = (deps: NetworkDeps) =>
  defineKind<NeutronNetworkRow, typeof networkProtocol.spec>({
    kind: 'network',
    protocol: networkProtocol,
    behaviour: networkBehaviour(deps),
    model: 'NeutronNetwork',
    key: 'id',
    shared: ['project_id', 'status'],
    placement: { movable: true, roles: ['network', 'api'] },
    passivates: true,
    // The network's row stays as it is: Neutron has no failed state for a network; the actor's record says it failed.
    onFailed: () => undefined,
    summary: (s) => (s ? { name: s.name, status: s.status } : {}),
  });
