import type { Behaviour } from '../../runtime/kind.js';
import type { schedulerProtocol } from './protocol.js';
import { decided, fresh, type SchedulerRow } from './state.js';

export const schedulerBehaviour: Behaviour<SchedulerRow, typeof schedulerProtocol.spec> = {
  recordDecision: (state, { instance_uuid }, ctx) => {
    const next = decided(state ?? fresh(ctx.self.id, ctx.now), ctx.now);
    if (instance_uuid) ctx.log.debug({ instance_uuid, decisions: next.decisions }, 'scheduling decision recorded');
    return { state: next, reply: next };
  },
  get: (state, _payload, ctx) => ({ reply: state ?? fresh(ctx.self.id, ctx.now) }),
};
