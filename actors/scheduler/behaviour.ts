import type { Behaviour } from '../../runtime/kind.js';
import { ref } from '../../runtime/ref.js';
import type { HostRow } from '../../models/host.js';
import type { schedulerProtocol } from './protocol.js';
import { HostView } from './host-view.js';
import { decided, fresh, reported, type SchedulerRow } from './state.js';

export interface SchedulerDeps {
  /** Every registered host, as the hosts table has it. */
  readonly loadHosts: () => Promise<HostRow[]>;
  /** Hosts tried for one boot before it fails (Nova's max_attempts). */
  readonly maxAttempts: number;
  readonly serviceDownMs: number;
  /** How stale the scheduler's picture of the hosts may get. */
  readonly hostViewMaxAgeMs: number;
}

// Nova's own wording, which users and scripts look for in the server's fault.
export const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';
const maxRetries = (uuid: string) =>
  `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`;

export function schedulerBehaviour(deps: SchedulerDeps): Behaviour<SchedulerRow, typeof schedulerProtocol.spec> {
  const views = new Map<string, HostView>();
  const viewOf = (name: string) => {
    let view = views.get(name);
    if (!view) views.set(name, view = new HostView(deps.loadHosts, deps.hostViewMaxAgeMs));
    return view;
  };
  return {
    schedule: async (state, request, ctx) => {
      const next = decided(state ?? fresh(ctx.self.id, ctx.now), ctx.now);
      const instance = ref('instance', request.instance_uuid);
      const details = request.last_error ? `Last failure: ${request.last_error}` : undefined;
      if (request.attempt > deps.maxAttempts) {
        ctx.send(instance, 'buildFailed', { code: 500, message: maxRetries(request.instance_uuid), ...(details ? { details } : {}) });
        return { state: next };
      }
      const view = viewOf(ctx.self.id);
      // A reschedule means the picture was wrong about some host: read the table again.
      if (request.tried.length) view.invalidate();
      const host = await view.pick(request, ctx.now, deps.serviceDownMs);
      const { last_error: _, ...boot } = request;
      if (host) ctx.send(ref('host', host), 'claim', { ...boot, scheduler: ctx.self.id });
      else ctx.send(instance, 'buildFailed', { code: 500, message: NO_VALID_HOST, ...(details ? { details } : {}) });
      ctx.log.debug({ instance: request.instance_uuid, host, attempt: request.attempt }, 'scheduling decision');
      return { state: next };
    },
    heartbeat: (state, _payload, ctx) => ({ state: reported(state ?? fresh(ctx.self.id, ctx.now), ctx.now) }),
    get: (state, _payload, ctx) => ({ reply: state ?? fresh(ctx.self.id, ctx.now) }),
  };
}
