import { defineKind } from '../../runtime/kind.js';
import { consoleBehaviour, type ConsoleDeps } from './behaviour.js';
import { consoleProtocol } from './protocol.js';
import { failed, type ConsoleRow } from './state.js';

// One actor per console session, on the node whose proxy accepted its WebSocket (pinned there: that node announces
// `console/<node>:*` and names its sessions `<node>:<uuid>`). Its state is the session's row in `consoles`; the
// sockets stay in the node's registry, which the actor reaches by the session's id.

export { consoleProtocol, consoleBehaviour };
export type { ConsoleDeps, LiveSession } from './behaviour.js';
export type { ConsoleRow } from './state.js';

export const consoleKind = (deps: ConsoleDeps) =>
  defineKind<ConsoleRow, typeof consoleProtocol.spec>({
    kind: 'console',
    protocol: consoleProtocol,
    behaviour: consoleBehaviour(deps),
    model: 'Console',
    key: 'id',
    shared: ['protocol', 'console_type', 'host', 'status'],
    placement: { pinned: true },
    passivates: true,
    // Its sockets are on this node: an open session's actor stays, a closed one's gives its memory back.
    keepsActive: (state) => state?.status === 'open',
    // A failed session actor can no longer say how its session ends.
    onFailed: (state, _reason, now) => (state ? failed(state, now) : undefined),
    summary: (s) => (s ? { status: s.status, instance_uuid: s.instance_uuid, protocol: s.protocol, node: s.node } : {}),
  });

/** The pin a node announces for the sessions it holds, and the id prefix it gives them. */
export const consolePin = (node: string) => `console/${node}:*`;
export const consoleSessionId = (node: string, uuid: string) => `${node}:${uuid}`;
