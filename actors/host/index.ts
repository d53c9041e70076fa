import { defineKind } from '../../runtime/kind.js';
import { hostBehaviour, type HostDeps } from './behaviour.js';
import { hostProtocol } from './protocol.js';
import { failed, type HostRow } from './state.js';

export { hostProtocol, hostBehaviour, type HostDeps };
export type { HostRow } from './state.js';

export const hostKind = (deps: HostDeps) =>
  defineKind<HostRow, typeof hostProtocol.spec>({
    kind: 'host',
    protocol: hostProtocol,
    behaviour: hostBehaviour(deps),
    model: 'Host',
    key: 'name',
    // Hosts report every few seconds and own a hypervisor connection; reloading them would cost more than keeping them.
    placement: { pinned: true },
    passivates: false,
    // Claims arrive in streams: the next one starts its guest while the last one's commit is in flight.
    // Every hypervisor operation is idempotent by instance UUID, so a replay after a failed commit is safe.
    pipelined: true,
    // A server group member's host, written with the claim that placed it there.
    records: ['ServerGroupMember'],
    // A failed host actor means the host's reports can no longer be trusted: the scheduler leaves it out.
    onFailed: (state, reason, now) => (state ? failed(state, reason, now) : undefined),
    summary: (s) => (s ? { status: s.status, running_vms: s.running_vms, vcpus_used: s.vcpus_used, memory_mb_used: s.memory_mb_used } : {}),
  });
