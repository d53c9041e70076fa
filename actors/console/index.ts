// PLANNED: a draft of the console kind, tested as pure behaviour; no API reaches it and the runtime does not register it yet.
import { defineKind } from '../../runtime/kind.js';
import { consoleBehaviour } from './behaviour.js';
import { consoleProtocol } from './protocol.js';
import { failed, type ConsoleRow } from './state.js';

export { consoleProtocol, consoleBehaviour };
export type { ConsoleRow } from './state.js';

export const consoleKind = defineKind<ConsoleRow, typeof consoleProtocol.spec>({
  kind: 'console',
  protocol: consoleProtocol,
  behaviour: consoleBehaviour,
  model: 'Console',
  key: 'id',
  shared: ['protocol', 'console_type', 'host', 'status'],
  placement: { pinned: true },
  passivates: true,
  // A failed console session can no longer be trusted to open: its token stops working.
  onFailed: (state, _reason, now) => (state ? failed(state, now) : undefined),
  summary: (s) => (s ? { status: s.status, instance_uuid: s.instance_uuid, protocol: s.protocol } : {}),
});
