import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import { ActionLog, actionId, stampOf, type Caller } from './actions.js';
import { accepted, locked, lockerOf, rebootStarted, refusal, refusalMessage, reported, RULES, unlocked, type HostOp } from './power.js';
import type { powerMessages } from './power-protocol.js';
import { powerSync } from './power-sync.js';

type Messages = typeof powerMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (state: InstanceRow | null, payload: Payload<T>, ctx: HandlerContext) => Outcome<InstanceRow>;

/** Nova's event name for what a compute host does (wrap_instance_event(prefix='compute')). */
const EVENTS: Record<HostOp, string> = {
  stop: 'compute_stop_instance',
  start: 'compute_start_instance',
  soft_reboot: 'compute_reboot_instance',
  hard_reboot: 'compute_reboot_instance',
  pause: 'compute_pause_instance',
  unpause: 'compute_unpause_instance',
  suspend: 'compute_suspend_instance',
  resume: 'compute_resume_instance',
};

/** The server as the caller may act on it: another project's is as missing as a deleted one (Nova's 404), admins' aside. */
const visible = (state: InstanceRow | null, caller: Caller, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at || (!caller.is_admin && state.project_id !== caller.project_id)) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

const changed = (next: InstanceRow) => ({ state: next, reply: next });

/**
 * Checks the action as Nova's compute API does, then in one commit: the task_state, the instance
 * action with its compute event begun, and the order to the host.
 */
function ordered(
  state: InstanceRow | null,
  op: HostOp,
  caller: Caller,
  ctx: HandlerContext,
  force = false,
): { state: InstanceRow; reply: InstanceRow } {
  const s = visible(state, caller, ctx);
  // Nova's force_stop skips the API's state checks: the hypervisor's word is what is being acted on.
  const refused = force ? undefined : refusal(s, op, caller.is_admin === true);
  if (refused) throw reject(refusalMessage(s.uuid, op, refused), refused);
  const at = stampOf(s, ctx.now);
  const log = new ActionLog(ctx, s.uuid);
  const action = log.start(RULES[op].action, caller, at);
  log.begin(action, EVENTS[op], s.host, at);
  ctx.send(ref('host', s.host!), 'power', {
    instance_uuid: s.uuid,
    op,
    request_id: caller.request_id,
    memory_mb: s.memory_mb,
    vcpus: s.vcpus,
  });
  return changed(accepted(s, op, at));
}

/** How long a power action may take before its task is cleared with a fault. */
export interface PowerTimeouts {
  readonly actionMs: number;
}

export const powerBehaviourWith = (timeouts: PowerTimeouts): { readonly [T in keyof Messages]: Handler<T> } => {
  const order = (state: InstanceRow | null, op: HostOp, caller: Caller, ctx: HandlerContext, force = false) => {
    const outcome = ordered(state, op, caller, ctx, force);
    const at = new Date(outcome.state.updated_at).getTime();
    ctx.send(ctx.self, 'powerCheck', { op, request_id: caller.request_id, deadline: at + timeouts.actionMs }, { delayMs: timeouts.actionMs });
    return outcome;
  };
  const simple = (op: HostOp) => (state: InstanceRow | null, caller: Caller, ctx: HandlerContext) => order(state, op, caller, ctx);
  return {
    stop: simple('stop'),
    start: simple('start'),
    reboot: (state, { type, ...caller }, ctx) => order(state, type === 'HARD' ? 'hard_reboot' : 'soft_reboot', caller, ctx),
    pause: simple('pause'),
    unpause: simple('unpause'),
    suspend: simple('suspend'),
    resume: simple('resume'),
    lock: (state, { reason, api_host, ...caller }, ctx) => {
      const s = visible(state, caller, ctx);
      const at = stampOf(s, ctx.now);
      const next = locked(s, caller.project_id, reason, at);
      // An owner locking what is locked already: Nova records nothing.
      if (!next) return { reply: s };
      const log = new ActionLog(ctx, s.uuid);
      log.instant(log.start('lock', caller, at), 'api_lock', api_host ?? null, at);
      return changed(next);
    },
    unlock: (state, { api_host, ...caller }, ctx) => {
      const s = visible(state, caller, ctx);
      // Nova's is_expected_locked_by: undoing a lock taken from the other side (owner or admin) takes the
      // unlock_override policy, which only admins pass; the API words the refusal as that policy's.
      if (s.locked_by && s.locked_by !== lockerOf(s, caller.project_id) && !caller.is_admin) {
        throw reject(`Instance ${s.uuid} was locked by its ${s.locked_by}`, { reason: 'locked_by_other', locked_by: s.locked_by });
      }
      const at = stampOf(s, ctx.now);
      const log = new ActionLog(ctx, s.uuid);
      log.instant(log.start('unlock', caller, at), 'api_unlock', api_host ?? null, at);
      return changed(unlocked(s, at));
    },
    syncPowerState: (state, { power_state }, ctx) => {
      if (!state || state.deleted_at) throw reject(`instance ${ctx.self.id} not found`);
      const sync = powerSync(state, power_state, ctx.now);
      if (sync.reason) ctx.log.warn({ instance: state.uuid, vm_state: state.vm_state, power_state }, sync.reason);
      if (!sync.stop) return sync.next ? changed(sync.next) : { reply: state };
      // As Nova's periodic task and event handler call its own stop API: an action by the system, for the owner's project.
      const system: Caller = {
        request_id: ctx.correlationId ?? `req-${ctx.self.id}-${ctx.now}`,
        user_id: state.user_id,
        project_id: state.project_id,
        is_admin: true,
      };
      return order(sync.next ?? state, 'stop', system, ctx, sync.stop === 'force');
    },
    powerDone: (state, { op, request_id, ...report }, ctx) => {
      if (!state) throw reject(`instance ${ctx.self.id} not found`);
      // The event ends whatever became of the server meanwhile; the state moves only if this report is still expected.
      const at = stampOf(state, ctx.now);
      new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, RULES[op].action, request_id), EVENTS[op], at, report.error);
      const next = reported(state, op, report, at);
      if (next && report.error) ctx.log.warn({ op, error: report.error.message }, 'power operation failed');
      return next ? changed(next) : { reply: state };
    },
    powerProgress: (state, { op }, ctx) => {
      const next = state && !state.deleted_at ? rebootStarted(state, op, stampOf(state, ctx.now)) : undefined;
      return next ? changed(next) : { reply: state };
    },
    // Delivered at its deadline (its due time survives a restart).
    powerCheck: (state, { op, request_id }, ctx) => {
      // Reported meanwhile (or overtaken by a delete): nothing to end.
      if (!state || state.deleted_at || !RULES[op].expecting.includes(state.task_state ?? '')) return { reply: state };
      const error = { message: `Timed out waiting for compute host ${state.host ?? '(none)'} to ${RULES[op].action} instance ${state.uuid}` };
      const at = stampOf(state, ctx.now);
      new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, RULES[op].action, request_id), EVENTS[op], at, error);
      ctx.log.warn({ op, instance: state.uuid }, 'power action timed out');
      return changed(reported(state, op, { power_state: state.power_state, error }, at)!);
    },
  };
};
