import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import { ActionLog, actionId, stampOf, type Caller } from './actions.js';
import { changePasswordRefusal, crashDumpRefusal, passwordNotSet, stateReset } from './admin.js';
import type { adminMessages } from './admin-protocol.js';

type Messages = typeof adminMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (state: InstanceRow | null, payload: Payload<T>, ctx: HandlerContext) => Outcome<InstanceRow>;

/** A refusal that is itself recorded (its instance action and event): answered, not thrown, so the commit keeps them. */
export interface Refused {
  readonly refused: { readonly status: number; readonly message: string };
}

// Nova's instance action names (nova/compute/instance_actions.py) and compute events.
const RESET_STATE = 'resetState';
const CHANGE_PASSWORD = 'changePassword';
const CRASH_DUMP = 'trigger_crash_dump';
const SET_PASSWORD_EVENT = 'compute_set_admin_password';
export const CRASH_DUMP_EVENT = 'compute_trigger_crash_dump';

const visible = (state: InstanceRow | null, caller: Caller, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at || (!caller.is_admin && state.project_id !== caller.project_id)) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

export const adminHandlers = (): { readonly [T in keyof Messages]: Handler<T> } => ({
  resetState: (state, { state: wanted, ...caller }, ctx) => {
    const s = visible(state, caller, ctx);
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    // Nova starts the action and finishes it at once; there is no event.
    const action = log.start(RESET_STATE, caller, at);
    ctx.record('InstanceAction', { id: action, finish_time: new Date(at), updated_at: new Date(at) });
    const next = stateReset(s, wanted, at);
    return { state: next, reply: next };
  },
  changePassword: (state, caller, ctx) => {
    const s = visible(state, caller, ctx);
    const refused = changePasswordRefusal(s, caller.is_admin);
    if (refused) throw reject(refused.message, refused);
    // Accepted (task updating_password, the action recorded), then refused by the compute side, which puts the
    // task back: one commit holds it all, the event ending in error as wrap_instance_event records it.
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    const action = log.start(CHANGE_PASSWORD, caller, at);
    const message = passwordNotSet(s);
    log.instant(action, SET_PASSWORD_EVENT, s.host, at, { message });
    const next = { ...s, updated_at: new Date(at) };
    return { state: next, reply: { refused: { status: 409, message } } };
  },
  crashDump: (state, caller, ctx) => {
    const s = visible(state, caller, ctx);
    const refused = crashDumpRefusal(s, caller.is_admin);
    if (refused) throw reject(refused.message, refused);
    // No task state: Nova leaves the server as it is, the guest's own configuration decides what an NMI does.
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    log.begin(log.start(CRASH_DUMP, caller, at), CRASH_DUMP_EVENT, s.host, at);
    ctx.send(ref('host', s.host!), 'injectNmi', { instance_uuid: s.uuid, request_id: caller.request_id });
    const next = { ...s, updated_at: new Date(at) };
    return { state: next, reply: next };
  },
  crashDumpDone: (state, { request_id, error }, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    const at = stampOf(state, ctx.now);
    new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, CRASH_DUMP, request_id), CRASH_DUMP_EVENT, at, error);
    return { reply: state };
  },
});
