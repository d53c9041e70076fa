import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { consoleProtocol } from './protocol.js';
import { asSeenAt, closed, opened, type ConsoleRow } from './state.js';

const known = (state: ConsoleRow | null, ctx: HandlerContext): ConsoleRow => {
  if (!state) throw reject(`console ${ctx.self.id} not found`);
  return state;
};

export const consoleBehaviour: Behaviour<ConsoleRow, typeof consoleProtocol.spec> = {
  open: (state, payload, ctx) => {
    // Console ids are access tokens: one is never reused for another session.
    if (state) throw reject(`console ${ctx.self.id} already exists`);
    const next = opened(ctx.self.id, payload, ctx.now);
    return { state: next, reply: next };
  },
  close: (state, _payload, ctx) => {
    const session = known(state, ctx);
    if (session.status === 'closed') return { reply: session };
    const next = closed(session, ctx.now);
    return { state: next, reply: next };
  },
  get: (state, _payload, ctx) => ({ reply: asSeenAt(known(state, ctx), ctx.now) }),
};
