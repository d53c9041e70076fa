import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { instanceProtocol } from './protocol.js';
import { created, deleted, renamed, stateSet, type InstanceRow } from './state.js';

/** A deleted instance answers like a missing one, as Nova's API does. */
const live = (state: InstanceRow | null, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

export const instanceBehaviour: Behaviour<InstanceRow, typeof instanceProtocol.spec> = {
  create: (state, payload, ctx) => {
    if (state) throw reject(`instance ${ctx.self.id} already exists`);
    const next = created(ctx.self.id, payload, ctx.now);
    return { state: next, reply: next };
  },
  rename: (state, { display_name }, ctx) => {
    const next = renamed(live(state, ctx), display_name, ctx.now);
    return { state: next, reply: next };
  },
  setState: (state, payload, ctx) => {
    const next = stateSet(live(state, ctx), payload, ctx.now);
    return { state: next, reply: next };
  },
  delete: (state, _payload, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    // A repeated delete (a retried API call) succeeds without touching the row.
    if (state.deleted_at) return { reply: state };
    const next = deleted(state, ctx.now);
    return { state: next, reply: next };
  },
  get: (state, _payload, ctx) => ({ reply: live(state, ctx) }),
};
