import { createHash } from 'node:crypto';
import type { Behaviour } from '../../runtime/kind.js';
import type { DataPlanePlan } from '../../drivers/dataplane/plan.js';
import type { ReconcileReport } from '../../drivers/dataplane/reconcile.js';
import type { dataPlaneProtocol } from './protocol.js';
import { applied, failedApply, fresh, type DataPlaneRow } from './state.js';

/** What a node's data plane reads and drives: its plan from the tables, and the drivers that apply one. */
export interface DataPlaneDeps {
  plan(): Promise<DataPlanePlan>;
  apply(plan: DataPlanePlan): Promise<ReconcileReport>;
}

export interface ReconcileOutcome {
  readonly applied: boolean;
  readonly report?: ReconcileReport;
  readonly error?: string;
}

const hashOf = (plan: DataPlanePlan) => createHash('sha256').update(JSON.stringify(plan)).digest('hex');

export const dataPlaneBehaviour = (deps: DataPlaneDeps): Behaviour<DataPlaneRow, typeof dataPlaneProtocol.spec> => ({
  reconcile: async (state, { force }, ctx) => {
    const current = state ?? fresh(ctx.self.id, ctx.now);
    const plan = await deps.plan();
    const hash = hashOf(plan);
    if (!force && hash === current.plan_hash) return { reply: { applied: false } satisfies ReconcileOutcome };
    try {
      const report = await deps.apply(plan);
      if (report.created.length || report.removed.length || report.changed.length) ctx.log.info({ report }, 'data plane reconciled');
      return { state: applied(current, hash, ctx.now), reply: { applied: true, report } satisfies ReconcileOutcome };
    } catch (error) {
      // The drivers' error says which command failed; the actor stays up and the next tick tries again.
      const message = (error as Error).message;
      ctx.log.warn({ err: error }, 'data plane reconcile failed');
      return { state: failedApply(current, message, ctx.now), reply: { applied: false, error: message } satisfies ReconcileOutcome };
    }
  },
  get: (state, _payload, ctx) => ({ reply: state ?? fresh(ctx.self.id, ctx.now) }),
});
