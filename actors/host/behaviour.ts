import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { hostProtocol } from './protocol.js';
import { disabled, enabled, heartbeat, registered, reregistered, usageSet, type HostRow } from './state.js';

const known = (state: HostRow | null, ctx: HandlerContext): HostRow => {
  if (!state) throw reject(`host ${ctx.self.id} not found`);
  return state;
};

const changed = (next: HostRow) => ({ state: next, reply: next });

export const hostBehaviour: Behaviour<HostRow, typeof hostProtocol.spec> = {
  register: (state, payload, ctx) =>
    changed(state ? reregistered(state, payload, ctx.now) : registered(ctx.self.id, payload, ctx.now)),
  heartbeat: (state, _payload, ctx) => changed(heartbeat(known(state, ctx), ctx.now)),
  setUsage: (state, usage, ctx) => changed(usageSet(known(state, ctx), usage, ctx.now)),
  disable: (state, { reason }, ctx) => changed(disabled(known(state, ctx), reason, ctx.now)),
  enable: (state, _payload, ctx) => changed(enabled(known(state, ctx), ctx.now)),
  get: (state, _payload, ctx) => ({ reply: known(state, ctx) }),
};
