import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { consoleProtocol } from './protocol.js';
import { asSeenAt, closed, opened, type ConsoleRow } from './state.js';

/** A session's sockets as the node holding them has them (its registry); the actor never holds a socket itself. */
export interface LiveSession {
  toGuest(): number;
  toClient(): number;
  close(reason: string): void;
}

export interface ConsoleDeps {
  /** The open session of this id in the node-local registry, if its sockets are still open. */
  readonly session: (id: string) => LiveSession | undefined;
}

const known = (state: ConsoleRow | null, ctx: HandlerContext): ConsoleRow => {
  if (!state) throw reject(`console ${ctx.self.id} not found`);
  return state;
};

export const consoleBehaviour = (deps: ConsoleDeps): Behaviour<ConsoleRow, typeof consoleProtocol.spec> => ({
  open: (state, payload, ctx) => {
    // Session ids are never reused: a second open of one is a mistake, not a reconnection.
    if (state) throw reject(`console ${ctx.self.id} already exists`);
    const next = opened(ctx.self.id, payload, ctx.now);
    return { state: next, reply: next };
  },
  close: (state, payload, ctx) => {
    const session = known(state, ctx);
    if (session.status !== 'open') return { reply: session };
    const live = deps.session(ctx.self.id);
    const bytes = live
      ? { toGuest: live.toGuest(), toClient: live.toClient() }
      : { toGuest: payload.bytes_to_guest ?? 0, toClient: payload.bytes_to_client ?? 0 };
    // The registry then sees the sockets end and asks again: the session is closed by then, so nothing changes.
    live?.close(payload.reason);
    const next = closed(session, ctx.now, payload.reason, bytes);
    return { state: next, reply: next };
  },
  get: (state, _payload, ctx) => ({ reply: asSeenAt(known(state, ctx), ctx.now) }),
});
