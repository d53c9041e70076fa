import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { Selection } from '../scheduler/index.js';
import { ActionLog, actionId, stampOf, type Caller } from './actions.js';
import type { moveMessages } from './move-protocol.js';
import {
  ACTION_OF,
  confirmed,
  confirming,
  contextOf,
  flavorOf,
  isForward,
  migrationRecord,
  moveAccepted,
  moveFailedOn,
  moveFinished,
  moveProgressed,
  moveRefusal,
  moveTimedOut,
  refusalText,
  resourcesOf,
  reverted,
  reverting,
  type MoveContext,
  type MoveType,
} from './moves.js';

type Messages = typeof moveMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (
  state: InstanceRow | null,
  payload: Payload<T>,
  ctx: HandlerContext,
) => Outcome<InstanceRow> | Promise<Outcome<InstanceRow>>;

// Nova's compute events of each step (wrap_instance_event(prefix='compute')), by the host that does it.
const PREP = 'compute_prep_resize';
const RESIZE = 'compute_resize_instance';
const FINISH = 'compute_finish_resize';
const CONFIRM = 'compute_confirm_resize';
const REVERT = 'compute_revert_resize';
const FINISH_REVERT = 'compute_finish_revert_resize';
const LIVE = 'compute_live_migration';
const PRE_LIVE = 'compute_pre_live_migration';
const REBUILD = 'compute_rebuild_instance';

const changed = (next: InstanceRow) => ({ state: next, reply: next });

const visible = (state: InstanceRow | null, caller: Caller, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at || (!caller.is_admin && state.project_id !== caller.project_id)) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

/** The instance's refusal, with what the API needs to word it as Nova (the status when it is not a 409). */
const refuse = (message: string, details: Record<string, unknown>) => reject(message, details);

/** A report for the move under way, or undefined for a late one (another move since, or none). */
const current = (state: InstanceRow | null, migration: string): [InstanceRow, MoveContext] | undefined => {
  if (!state || state.deleted_at) return undefined;
  const m = contextOf(state);
  return m && m.migration === migration ? [state, m] : undefined;
};

/** A migration's new status; its id too, as an upsert must carry every column without a default. */
const migrationStatus = (ctx: HandlerContext, m: MoveContext, status: string, at: number) =>
  ctx.record('Migration', { uuid: m.migration, id: m.id, status, updated_at: new Date(at) });

const actionOfMove = (s: InstanceRow, m: MoveContext) => actionId(s.uuid, m.action, m.request_id);

/** How long a move may wait on its hosts (`timeouts.actionMs`). */
export interface MoveTimeouts {
  readonly actionMs: number;
}

/** Asks itself, `actionMs` from now, whether the move is still in `task` (then it ended with a fault). */
const watch = (ctx: HandlerContext, migration: string, task: string, at: number, t: MoveTimeouts) =>
  ctx.send(ctx.self, 'moveCheck', { migration_uuid: migration, task_state: task, deadline: at + t.actionMs }, { delayMs: t.actionMs });

interface MoveRequest {
  caller: Caller;
  type: MoveType;
  migration_uuid: string;
  migration_id: number;
  scheduler: string;
  host?: string;
  force: boolean;
  async: boolean;
  same_host: boolean;
  flavor: MoveContext['new'];
  confirm_window_ms: number;
  auto_disk_config?: boolean;
}

/**
 * Picks the destination as Nova's conductor does (the scheduler, the source excluded unless resizing to the
 * same host is allowed); a refusal is Nova's 400 to the caller, or with an asynchronous call the migration's error.
 */
async function start(state: InstanceRow | null, r: MoveRequest, ctx: HandlerContext, t: MoveTimeouts): Promise<Outcome<InstanceRow>> {
  const s = visible(state, r.caller, ctx);
  const apiAction = ({ 'live-migration': 'os-migrateLive', resize: 'resize', migration: 'migrate', evacuation: 'evacuate' } as const)[r.type];
  const refused = moveRefusal(s, apiAction, r.caller.is_admin === true);
  const verb = ({ 'live-migration': 'live_migrate', resize: 'resize', migration: 'migrate', evacuation: 'evacuate' } as const)[r.type];
  if (refused) throw refuse(refusalText(s.uuid, refused, verb), { ...refused });
  const source = s.host;
  if (!source) throw refuse(`Instance ${s.uuid} is not ready`, { reason: 'not_ready' });
  const flavor = r.flavor;
  let selection: Selection;
  // Nova's CannotMigrateToSameHost (cold) and UnableToMigrateToSelf (live, from the conductor).
  if (r.host === source)
    selection = {
      error:
        r.type === 'live-migration'
          ? `Unable to migrate instance (${s.uuid}) to current host (${source}).`
          : 'Cannot migrate to the host where the server exists.',
    };
  else if (r.host && r.force) selection = { host: r.host };
  else {
    try {
      selection = await ctx.ask<Selection>(ref('scheduler', r.scheduler), 'select', {
        instance_uuid: s.uuid,
        ...resourcesOf(flavor),
        availability_zone: null,
        tried: r.same_host ? [] : [source],
        attempt: 1,
        ...(r.host ? { destination: { host: r.host, force: false } } : {}),
      });
    } catch (error) {
      selection = { error: `Failed to schedule instance ${s.uuid}: ${(error as Error).message}`.slice(0, 255) };
    }
  }
  const at = stampOf(s, ctx.now);
  const log = new ActionLog(ctx, s.uuid);
  const m: MoveContext = {
    migration: r.migration_uuid,
    id: r.migration_id,
    type: r.type,
    source,
    dest: 'host' in selection ? selection.host : source,
    old: flavorOf(s),
    new: flavor,
    was: s.vm_state,
    request_id: r.caller.request_id,
    action: ACTION_OF[r.type],
    user_id: r.caller.user_id,
    project_id: r.caller.project_id,
    confirm_window_ms: r.confirm_window_ms,
  };
  if ('error' in selection) {
    if (!r.async) throw refuse(selection.error, { status: 400 });
    // Nova's conductor: the server stays as it was, the migration ends in error, the action says why.
    const action = log.start(m.action, r.caller, at);
    const conductor = { 'live-migration': 'conductor_live_migrate_instance', evacuation: 'conductor_rebuild_server' }[r.type as string];
    log.instant(action, conductor ?? 'conductor_migrate_server', null, at, {
      message: selection.error,
    });
    ctx.record('Migration', { ...migrationRecord(s, m, at), dest_compute: null, dest_node: null, status: 'error' });
    return { reply: s };
  }
  const action = log.start(m.action, r.caller, at);
  ctx.record('Migration', { ...migrationRecord(s, m, at) });
  const guest = { instance_uuid: s.uuid, migration_uuid: m.migration, image_ref: s.image_ref };
  if (r.type === 'evacuation') {
    log.begin(action, REBUILD, m.dest, at);
    ctx.send(ref('host', m.dest), 'evacuateIn', { ...guest, ...resourcesOf(flavor), running: s.vm_state !== 'stopped' });
  } else if (r.type === 'live-migration') {
    log.begin(action, PRE_LIVE, m.dest, at);
    log.begin(action, LIVE, source, at);
    ctx.send(ref('host', m.dest), 'liveIn', { ...guest, source, ...resourcesOf(flavor), paused: s.vm_state === 'paused', force: r.force });
  } else {
    log.begin(action, PREP, m.dest, at);
    ctx.send(ref('host', m.dest), 'prepResize', { ...guest, source, ...resourcesOf(flavor), running: s.vm_state === 'active' });
  }
  const next = moveAccepted(s, m, at);
  if (r.auto_disk_config !== undefined) next.auto_disk_config = r.auto_disk_config;
  watch(ctx, m.migration, next.task_state!, at, t);
  return changed(next);
}

type CallerPayload = Caller & { is_admin: boolean };
const callerOf = ({ request_id, user_id, project_id, is_admin }: CallerPayload): Caller => ({ request_id, user_id, project_id, is_admin });

/** confirmResize and revertResize: checked as Nova (the lock, vm_state resized, no task) with a migration to act on. */
function settle(state: InstanceRow | null, caller: Caller, which: 'confirmResize' | 'revertResize', ctx: HandlerContext) {
  const s = visible(state, caller, ctx);
  const refused = moveRefusal(s, which, caller.is_admin === true);
  const verb = which === 'confirmResize' ? 'confirmResize' : 'revertResize';
  if (refused) throw refuse(refusalText(s.uuid, refused, verb), { ...refused });
  const m = contextOf(s);
  // Nova finds no migration in 'finished' for the server: MigrationNotFoundByStatus, its 400.
  if (!m) throw refuse(`Instance ${s.uuid} has no migration in finished status.`, { status: 400 });
  return { s, m, at: stampOf(s, ctx.now), log: new ActionLog(ctx, s.uuid) };
}

/** The instance's side of moving it. */
export const moveBehaviour = (t: MoveTimeouts): { readonly [T in keyof Messages]: Handler<T> } => ({
  resize: (state, p, ctx) =>
    start(
      state,
      {
        caller: callerOf(p),
        type: p.migration_type,
        migration_uuid: p.migration_uuid,
        migration_id: p.migration_id,
        scheduler: p.scheduler,
        ...(p.host ? { host: p.host } : {}),
        force: false,
        async: p.async,
        same_host: p.same_host,
        flavor: p.flavor,
        confirm_window_ms: p.confirm_window_ms,
        ...(p.auto_disk_config !== undefined ? { auto_disk_config: p.auto_disk_config } : {}),
      },
      ctx,
      t,
    ),
  liveMigrate: (state, p, ctx) => {
    const s = visible(state, callerOf(p), ctx);
    return start(
      s,
      {
        caller: callerOf(p),
        type: 'live-migration',
        migration_uuid: p.migration_uuid,
        migration_id: p.migration_id,
        scheduler: p.scheduler,
        ...(p.host ? { host: p.host } : {}),
        force: p.force,
        async: p.async,
        same_host: false,
        flavor: flavorOf(s),
        confirm_window_ms: 0,
      },
      ctx,
      t,
    );
  },
  evacuate: (state, p, ctx) => {
    const s = visible(state, callerOf(p), ctx);
    return start(
      s,
      {
        caller: callerOf(p),
        type: 'evacuation',
        migration_uuid: p.migration_uuid,
        migration_id: p.migration_id,
        scheduler: p.scheduler,
        ...(p.host ? { host: p.host } : {}),
        force: p.force,
        async: p.async,
        same_host: false,
        flavor: flavorOf(s),
        confirm_window_ms: 0,
      },
      ctx,
      t,
    );
  },
  // Delivered at its deadline (its due time survives a restart).
  moveCheck: (state, { migration_uuid, task_state }, ctx) => {
    const found = current(state, migration_uuid);
    // Finished, failed or moved on meanwhile (a resize going forward is watched from its start).
    const resizing = ['resize_prep', 'resize_migrating', 'resize_migrated'];
    const still = found && (found[0].task_state === task_state || (resizing.includes(task_state) && resizing.includes(found[0].task_state ?? '')));
    if (!found || !still) return { reply: state };
    const [s, m] = found;
    const message = `Timed out waiting for compute hosts ${m.source} and ${m.dest} to ${m.action} instance ${s.uuid}`;
    const at = stampOf(s, ctx.now);
    new ActionLog(ctx, s.uuid).finish(actionOfMove(s, m), m.type === 'live-migration' ? LIVE : m.type === 'evacuation' ? REBUILD : PREP, at, {
      message,
    });
    migrationStatus(ctx, m, 'error', at);
    ctx.log.warn({ instance: s.uuid, migration: m.migration, task_state }, 'move timed out');
    return changed(moveTimedOut(s, message, at));
  },
  moveCurrent: (state, { migration_uuid }) => ({ reply: current(state, migration_uuid) !== undefined }),
  moveProgress: (state, { migration_uuid, task_state }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found || !isForward(found[0], task_state)) return { reply: state };
    const [s, m] = found;
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    const action = actionOfMove(s, m);
    if (task_state === 'resize_migrating') {
      log.finish(action, PREP, at);
      log.begin(action, RESIZE, m.source, at);
      migrationStatus(ctx, m, 'migrating', at);
    } else {
      log.finish(action, RESIZE, at);
      log.begin(action, FINISH, m.dest, at);
      migrationStatus(ctx, m, 'post-migrating', at);
    }
    return changed(moveProgressed(s, task_state, at));
  },
  moveFinished: (state, { migration_uuid, power_state }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found || found[0].vm_state === 'resized') return { reply: state };
    const [s, m] = found;
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    const action = actionOfMove(s, m);
    if (m.type === 'live-migration') {
      log.finish(action, PRE_LIVE, at);
      log.finish(action, LIVE, at);
      migrationStatus(ctx, m, 'completed', at);
    } else if (m.type === 'evacuation') {
      log.finish(action, REBUILD, at);
      migrationStatus(ctx, m, 'done', at);
      // The old host destroys its copy and frees the claim (Nova: when its compute service starts again).
      ctx.send(ref('host', m.source), 'dropEvacuated', { instance_uuid: s.uuid, migration_uuid, ...resourcesOf(m.old) });
    } else {
      log.finish(action, RESIZE, at);
      log.finish(action, FINISH, at);
      migrationStatus(ctx, m, 'finished', at);
      if (m.confirm_window_ms > 0)
        ctx.send(ctx.self, 'autoConfirm', { migration_uuid, deadline: at + m.confirm_window_ms }, { delayMs: m.confirm_window_ms });
    }
    return changed(moveFinished(s, m, power_state, at));
  },
  moveFailed: (state, { migration_uuid, message }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found) return { reply: state };
    const [s, m] = found;
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    const action = actionOfMove(s, m);
    log.finish(action, m.type === 'live-migration' ? PRE_LIVE : m.type === 'evacuation' ? REBUILD : PREP, at, { message });
    if (m.type === 'live-migration') log.finish(action, LIVE, at, { message });
    migrationStatus(ctx, m, 'error', at);
    ctx.log.warn({ instance: s.uuid, migration: m.migration, message }, 'move failed');
    return changed(moveFailedOn(s, message, at));
  },
  confirmResize: (state, p, ctx) => {
    const { s, m, at, log } = settle(state, callerOf(p), 'confirmResize', ctx);
    const action = log.start('confirmResize', callerOf(p), at);
    log.begin(action, CONFIRM, m.source, at);
    migrationStatus(ctx, m, 'confirming', at);
    ctx.send(ref('host', m.source), 'dropSource', {
      instance_uuid: s.uuid,
      migration_uuid: m.migration,
      request_id: p.request_id,
      ...resourcesOf(m.old),
    });
    return changed(confirming(s, at));
  },
  // Delivered once the resize_confirm_window has passed (its due time survives a restart).
  autoConfirm: (state, { migration_uuid }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found || found[0].vm_state !== 'resized' || found[0].task_state !== null) return { reply: state };
    const [s, m] = found;
    // Nova's _poll_unconfirmed_resizes confirms as the system, for the owner.
    const system = { request_id: `req-${migration_uuid}`, user_id: s.user_id, project_id: s.project_id, is_admin: true };
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    log.begin(log.start('confirmResize', system, at), CONFIRM, m.source, at);
    migrationStatus(ctx, m, 'confirming', at);
    ctx.send(ref('host', m.source), 'dropSource', { instance_uuid: s.uuid, migration_uuid, request_id: system.request_id, ...resourcesOf(m.old) });
    return changed(confirming(s, at));
  },
  resizeConfirmed: (state, { migration_uuid, request_id }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found || found[0].task_state !== 'resize_confirming') return { reply: state };
    const [s, m] = found;
    const at = stampOf(s, ctx.now);
    new ActionLog(ctx, s.uuid).finish(actionId(s.uuid, 'confirmResize', request_id), CONFIRM, at);
    migrationStatus(ctx, m, 'confirmed', at);
    return changed(confirmed(s, m, at));
  },
  revertResize: (state, p, ctx) => {
    const { s, m, at, log } = settle(state, callerOf(p), 'revertResize', ctx);
    const action = log.start('revertResize', callerOf(p), at);
    log.begin(action, REVERT, m.dest, at);
    log.begin(action, FINISH_REVERT, m.source, at);
    migrationStatus(ctx, m, 'reverting', at);
    ctx.send(ref('host', m.dest), 'dropDest', {
      instance_uuid: s.uuid,
      migration_uuid: m.migration,
      request_id: p.request_id,
      source: m.source,
      image_ref: s.image_ref,
      running: m.was === 'active',
      ...resourcesOf(m.new),
      old: resourcesOf(m.old),
    });
    watch(ctx, m.migration, 'resize_reverting', at, t);
    return changed(reverting(s, at));
  },
  resizeReverted: (state, { migration_uuid, request_id, power_state }, ctx) => {
    const found = current(state, migration_uuid);
    if (!found || found[0].task_state !== 'resize_reverting') return { reply: state };
    const [s, m] = found;
    const at = stampOf(s, ctx.now);
    const log = new ActionLog(ctx, s.uuid);
    const action = actionId(s.uuid, 'revertResize', request_id);
    log.finish(action, REVERT, at);
    log.finish(action, FINISH_REVERT, at);
    migrationStatus(ctx, m, 'reverted', at);
    return changed(reverted(s, m, power_state, at));
  },
});
