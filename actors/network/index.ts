// PLANNED: a draft of the network kind, tested as pure behaviour; no API reaches it and the runtime does not register it yet.
import { defineKind } from '../../runtime/kind.js';
import { networkBehaviour } from './behaviour.js';
import { networkProtocol } from './protocol.js';
import { failed, type NetworkRow } from './state.js';

export { networkProtocol, networkBehaviour };
export { networkAddress, type NetworkRow } from './state.js';

export const networkKind = defineKind<NetworkRow, typeof networkProtocol.spec>({
  kind: 'network',
  protocol: networkProtocol,
  behaviour: networkBehaviour,
  model: 'Network',
  key: 'uuid',
  shared: ['project_id', 'status'],
  placement: { pinned: true },
  passivates: true,
  // A failed network shows ERROR, as Neutron does; a deleted one stays deleted.
  onFailed: (state, reason, now) => (state && !state.deleted_at ? failed(state, reason, now) : undefined),
  summary: (s) => (s ? { status: s.status, cidr: s.cidr } : {}),
});
