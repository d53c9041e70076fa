import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { networkProtocol } from './protocol.js';
import { created, deleted, networkAddress, renamed, type NetworkRow } from './state.js';

const live = (state: NetworkRow | null, ctx: HandlerContext): NetworkRow => {
  if (!state || state.deleted_at) throw reject(`network ${ctx.self.id} not found`);
  return state;
};

export const networkBehaviour: Behaviour<NetworkRow, typeof networkProtocol.spec> = {
  create: (state, payload, ctx) => {
    if (state) throw reject(`network ${ctx.self.id} already exists`);
    // Neutron refuses a CIDR with host bits set rather than guessing what was meant.
    const recommended = networkAddress(payload.cidr);
    if (recommended !== payload.cidr) {
      throw reject(`'${payload.cidr}' isn't a recognized IP subnet cidr, '${recommended}' is recommended`);
    }
    const next = created(ctx.self.id, payload, ctx.now);
    return { state: next, reply: next };
  },
  rename: (state, { name }, ctx) => {
    const next = renamed(live(state, ctx), name, ctx.now);
    return { state: next, reply: next };
  },
  delete: (state, _payload, ctx) => {
    if (!state) throw reject(`network ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    const next = deleted(state, ctx.now);
    return { state: next, reply: next };
  },
  get: (state, _payload, ctx) => ({ reply: live(state, ctx) }),
};
