import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import { ActionLog, actionId, stampOf, TERMINATE_EVENT, type Caller } from './actions.js';
import { deleting } from './state.js';
import {
  deleteUnderWay,
  KEPT_TASKS,
  keptPowerTimedOut,
  reclaimDue,
  restoreRefusal,
  restoreReported,
  restoring,
  softDeleteReported,
  softDeleting,
} from './soft-delete.js';
import type { softDeleteMessages } from './soft-delete-protocol.js';

type Messages = typeof softDeleteMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (state: InstanceRow | null, payload: Payload<T>, ctx: HandlerContext) => Outcome<InstanceRow>;

// Nova's compute events for them (wrap_instance_event(prefix='compute')).
const SOFT_DELETE_EVENT = 'compute_soft_delete_instance';
const RESTORE_EVENT = 'compute_restore_instance';

const visible = (state: InstanceRow | null, caller: Caller, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at || (!caller.is_admin && state.project_id !== caller.project_id)) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

const changed = (next: InstanceRow) => ({ state: next, reply: next });

/** How long a host has to report a power-off or power-on before the task is cleared with a fault. */
export interface SoftDeleteTimeouts {
  readonly actionMs: number;
}

export const softDeleteHandlers = (timeouts: SoftDeleteTimeouts): { readonly [T in keyof Messages]: Handler<T> } => ({
  softDelete: (state, { reclaim_after_ms, ...caller }, ctx) => {
    const s = visible(state, caller, ctx);
    if (s.locked && !caller.is_admin) throw reject(`Instance ${s.uuid} is locked`, { status: 409 });
    if (deleteUnderWay(s)) return { reply: s };
    // The API soft-deletes only what a host holds; one that lost it meanwhile is for a plain delete.
    if (!s.host) throw reject(`Instance ${s.uuid} is not ready`, { status: 409 });
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    // Nova records a soft delete as the `delete` action.
    log.begin(log.start('delete', caller, at), SOFT_DELETE_EVENT, s.host, at);
    ctx.send(ref('host', s.host), 'powerOffKept', { instance_uuid: s.uuid, request_id: caller.request_id, reclaim_after_ms });
    const check = { op: 'soft_delete' as const, request_id: caller.request_id, deadline: at + timeouts.actionMs };
    ctx.send(ctx.self, 'keptPowerCheck', check, { delayMs: timeouts.actionMs });
    return changed(softDeleting(s, at));
  },
  softDeleted: (state, { request_id: _request, reclaim_after_ms, ...report }, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    const at = stampOf(state, ctx.now);
    new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, 'delete'), SOFT_DELETE_EVENT, at, report.error);
    const next = softDeleteReported(state, report, at);
    if (!next) return { reply: state };
    if (!report.error) ctx.send(ctx.self, 'reclaim', { deadline: at + reclaim_after_ms, reclaim_after_ms }, { delayMs: reclaim_after_ms });
    return changed(next);
  },
  restore: (state, caller, ctx) => {
    const s = visible(state, caller, ctx);
    const refused = restoreRefusal(s, caller.is_admin);
    if (refused) throw reject(refused.message, refused);
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    log.begin(log.start('restore', caller, at), RESTORE_EVENT, s.host, at);
    ctx.send(ref('host', s.host!), 'powerOnKept', {
      instance_uuid: s.uuid,
      request_id: caller.request_id,
      memory_mb: s.memory_mb,
      vcpus: s.vcpus,
    });
    const check = { op: 'restore' as const, request_id: caller.request_id, deadline: at + timeouts.actionMs };
    ctx.send(ctx.self, 'keptPowerCheck', check, { delayMs: timeouts.actionMs });
    return changed(restoring(s, at));
  },
  restored: (state, { request_id, ...report }, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    const at = stampOf(state, ctx.now);
    new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, 'restore', request_id), RESTORE_EVENT, at, report.error);
    const next = restoreReported(state, report, at);
    return next ? changed(next) : { reply: state };
  },
  // Delivered at its deadline (its due time survives a restart).
  keptPowerCheck: (state, { op, request_id }, ctx) => {
    if (!state || state.task_state !== KEPT_TASKS[op]) return { reply: state };
    const at = stampOf(state, ctx.now);
    const next = keptPowerTimedOut(state, op, at);
    if (!next) return { reply: state };
    const action = op === 'soft_delete' ? actionId(state.uuid, 'delete') : actionId(state.uuid, 'restore', request_id);
    const error = { message: `Timed out waiting for compute host ${state.host ?? '(none)'} to ${op.replace('_', ' ')} instance ${state.uuid}` };
    new ActionLog(ctx, state.uuid).finish(action, op === 'soft_delete' ? SOFT_DELETE_EVENT : RESTORE_EVENT, at, error);
    ctx.log.warn({ op, instance: state.uuid }, 'host did not report in time');
    return changed(next);
  },
  reclaim: (state, { deadline, reclaim_after_ms }, ctx) => {
    if (!state) return { reply: state };
    const due = reclaimDue(state, deadline, reclaim_after_ms);
    if (due === undefined) return { reply: state };
    // Changed since this was sent (a repeated delete starts the interval over): look again then.
    if (ctx.now < due) {
      ctx.send(ctx.self, 'reclaim', { deadline: due, reclaim_after_ms }, { delayMs: due - ctx.now });
      return { reply: state };
    }
    // The periodic reclaim deletes it as the delete it was: its host destroys the domain and frees what it held.
    const at = stampOf(state, ctx.now);
    ctx.log.info({ instance: state.uuid }, 'reclaiming a soft-deleted server');
    new ActionLog(ctx, state.uuid).begin(actionId(state.uuid, 'delete'), TERMINATE_EVENT, state.host, at);
    ctx.send(ref('host', state.host!), 'release', {
      instance_uuid: state.uuid,
      vcpus: state.vcpus,
      memory_mb: state.memory_mb,
      disk_gb: state.root_gb + state.ephemeral_gb,
    });
    return changed(deleting(state, at));
  },
});
