// PLANNED: a draft of the volume kind, tested as pure behaviour; no API reaches it and the runtime does not register it yet.
import { defineKind } from '../../runtime/kind.js';
import { volumeBehaviour } from './behaviour.js';
import { volumeProtocol } from './protocol.js';
import { failed, type VolumeRow } from './state.js';

export { volumeProtocol, volumeBehaviour };
export type { VolumeRow } from './state.js';

export const volumeKind = defineKind<VolumeRow, typeof volumeProtocol.spec>({
  kind: 'volume',
  protocol: volumeProtocol,
  behaviour: volumeBehaviour,
  model: 'Volume',
  key: 'uuid',
  shared: ['project_id', 'status'],
  placement: { pinned: true },
  passivates: true,
  // A failed volume goes to 'error', which Cinder lets a user delete; a deleted one stays deleted.
  onFailed: (state, reason, now) => (state && !state.deleted_at ? failed(state, reason, now) : undefined),
  summary: (s) => (s ? { status: s.status, attached_to: s.attached_to } : {}),
});
