import type { Behaviour } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { HostRow } from '../../models/host.js';
import type { schedulerProtocol } from './protocol.js';
import { HostView } from './host-view.js';
import type { PlacementRequest, PlacementRules } from './placement-rules.js';
import { fresh, reported, type SchedulerRow } from './state.js';

export interface SchedulerDeps {
  /** Every registered host, as the hosts table has it. */
  readonly loadHosts: () => Promise<HostRow[]>;
  /** Hosts tried for one boot before it fails (Nova's max_attempts). */
  readonly maxAttempts: number;
  readonly serviceDownMs: number;
  /** How stale the scheduler's picture of the hosts may get. */
  readonly hostViewMaxAgeMs: number;
  /** In a cluster: no live node drives this host (its node left, or its lease lapsed), so a claim would wait for its return. */
  readonly hostGone?: (host: string) => boolean;
  /** Aggregate zones and extra specs, server group policies and the weighers' multipliers (placement-rules.ts). */
  readonly placementRules?: (request: PlacementRequest, now: number) => Promise<PlacementRules>;
}

/** The scheduler's answer: a host, or Nova's reason why none. */
export type Selection = { host: string } | { error: string };

// Nova's own wording, which users and scripts look for in the server's fault.
export const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';
const maxRetries = (uuid: string) =>
  `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`;

export function schedulerBehaviour(deps: SchedulerDeps): Behaviour<SchedulerRow, typeof schedulerProtocol.spec> {
  // Per scheduler actor: its picture of the hosts and its decision count. Both are soft state,
  // rebuilt from the tables after a restart; the hosts' claims are what must be exact.
  const views = new Map<string, { view: HostView; count: number; lastAt: number | null }>();
  const of = (name: string) => {
    let entry = views.get(name);
    if (!entry) views.set(name, (entry = { view: new HostView(deps.loadHosts, deps.hostViewMaxAgeMs, deps.hostGone), count: 0, lastAt: null }));
    return entry;
  };
  // Schedulers whose service record an operator deleted while they run; soft state, gone with the process.
  const deleted = new Set<string>();
  return {
    select: async (_state, request, ctx) => {
      if (request.attempt > deps.maxAttempts) return { reply: { error: maxRetries(request.instance_uuid) } satisfies Selection };
      const entry = of(ctx.self.id);
      // A retry (a host refused or failed this boot, and sent it back with attempt + 1) means the picture was wrong
      // about that host: read the table again. A move's source in `tried` on its first attempt only excludes it.
      if (request.attempt > 1) entry.view.invalidate();
      const rules = await deps.placementRules?.(request, ctx.now);
      const host = await entry.view.pick(request, ctx.now, deps.serviceDownMs, rules);
      entry.count++;
      entry.lastAt = ctx.now;
      return { reply: (host ? { host } : { error: NO_VALID_HOST }) satisfies Selection };
    },
    heartbeat: (state, { sent_at }, ctx) => {
      if (deleted.has(ctx.self.id)) return {};
      // One sent before the last counted (delivered late) says nothing new.
      if (state && sent_at <= new Date(state.updated_at).getTime()) return {};
      return { state: reported(state ?? fresh(ctx.self.id, ctx.now), of(ctx.self.id), Math.min(sent_at, ctx.now)) };
    },
    deregister: (state, _payload, ctx) => {
      if (!state) throw reject(`scheduler ${ctx.self.id} has no service record`);
      deleted.add(ctx.self.id);
      ctx.log.info({ scheduler: ctx.self.id }, 'scheduler service record deleted');
      return { state: null, reply: {} };
    },
    get: (state, _payload, ctx) => ({ reply: state ?? fresh(ctx.self.id, ctx.now) }),
  };
}
