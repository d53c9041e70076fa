import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { InstanceRow } from '../../models/instance.js';
import type { Selection } from '../scheduler/index.js';
import type { HostImageOp } from '../host/image-protocol.js';
import { ActionLog, actionId, stampOf, type Caller } from './actions.js';
import { dbBool } from './fields.js';
import type { imageActionMessages } from './image-protocol.js';
import {
  IMAGE_RULES,
  imageAccepted,
  imageProgressed,
  imageRefusal,
  imageRefusalMessage,
  imageReported,
  unshelvedOn,
  unshelveFailed,
  type ImageOp,
} from './image-rules.js';

type Messages = typeof imageActionMessages;
type Payload<T extends keyof Messages> = Static<Messages[T]['payload']>;
type Handler<T extends keyof Messages> = (
  state: InstanceRow | null,
  payload: Payload<T>,
  ctx: HandlerContext,
) => Outcome<InstanceRow> | Promise<Outcome<InstanceRow>>;

export interface ImageActionOptions {
  /** Nova's shelved_offload_time in ms: 0 offloads at once, negative never, else that long after the shelve. */
  readonly shelvedOffloadMs?: number;
  /** How long the host may take to report an action before it ends with a fault. */
  readonly actionMs?: number;
}

/** The server as the caller may act on it: another project's is as missing as a deleted one (admins aside). */
const visible = (state: InstanceRow | null, caller: Caller, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at || (!caller.is_admin && state.project_id !== caller.project_id)) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

const changed = (next: InstanceRow) => ({ state: next, reply: next });

/** Nova's checks, then the instance action with its event begun; answers the action's id and when. */
function accept(s: InstanceRow, op: ImageOp, caller: Caller, ctx: HandlerContext): { action: string; at: number; log: ActionLog } {
  const refused = imageRefusal(s, op, caller.is_admin === true, dbBool(s.locked));
  if (refused) throw reject(imageRefusalMessage(s.uuid, op, refused), refused);
  const at = stampOf(s, ctx.now);
  const log = new ActionLog(ctx, s.uuid);
  const action = log.start(IMAGE_RULES[op].action, caller, at);
  return { action, at, log };
}

/** The order to the server's host for `op`, with what the host needs to redo its guest. */
function orderHost(s: InstanceRow, op: HostImageOp, requestId: string, ctx: HandlerContext, extra: Record<string, unknown> = {}): void {
  ctx.send(ref('host', s.host!), 'imageOp', {
    instance_uuid: s.uuid,
    op,
    request_id: requestId,
    memory_mb: s.memory_mb,
    vcpus: s.vcpus,
    disk_gb: s.root_gb + s.ephemeral_gb,
    ...(s.image_ref ? { source_image_ref: s.image_ref } : {}),
    ...extra,
  });
}

/** Accepts an action carried out by the server's host, in one commit: task_state, instance action, event, order. */
function orderedOnce(
  state: InstanceRow | null,
  op: ImageOp,
  caller: Caller,
  ctx: HandlerContext,
  extra: Record<string, unknown> = {},
  change: (s: InstanceRow) => InstanceRow = (s) => s,
) {
  const s = visible(state, caller, ctx);
  const { action, at, log } = accept(s, op, caller, ctx);
  log.begin(action, IMAGE_RULES[op].event, s.host, at);
  const next = change(s);
  orderHost(next, op, caller.request_id, ctx, extra);
  return changed({ ...imageAccepted(next, op, at), task_request_id: caller.request_id });
}

type BuildRequest = { scheduler: string; tried: string[]; attempt: number; last_error?: string };

/**
 * An offloaded server's unshelve: the scheduler picks a host as for a boot (its zone, a host an admin named) and the
 * host claims and starts it from the shelved image; a host that cannot sends it back through `build` (unshelveBuild).
 */
async function placeUnshelve(s: InstanceRow, request: BuildRequest, ctx: HandlerContext): Promise<Outcome<InstanceRow>> {
  const action = actionId(s.uuid, 'unshelve', s.task_request_id ?? '');
  const event = IMAGE_RULES.unshelve.event;
  const placement = {
    instance_uuid: s.uuid,
    vcpus: s.vcpus,
    memory_mb: s.memory_mb,
    disk_gb: s.root_gb + s.ephemeral_gb,
    availability_zone: s.availability_zone,
    tried: request.tried,
    attempt: request.attempt,
  };
  const destination = s.requested_host ? { destination: { host: s.requested_host, force: false } } : {};
  let selection: Selection;
  try {
    selection = await ctx.ask<Selection>(ref('scheduler', request.scheduler), 'select', { ...placement, ...destination });
  } catch (error) {
    selection = { error: `Failed to schedule instance ${s.uuid}: ${(error as Error).message}`.slice(0, 255) };
  }
  const log = new ActionLog(ctx, s.uuid);
  const at = stampOf(s, ctx.now);
  if ('host' in selection) {
    ctx.send(ref('host', selection.host), 'claim', { ...placement, image_ref: s.shelved_image_id ?? s.image_ref, scheduler: request.scheduler });
    log.begin(action, event, selection.host, at);
    return changed({ ...s, updated_at: new Date(at) });
  }
  const details = request.last_error ? `Last failure: ${request.last_error}` : undefined;
  log.instant(action, event, null, at, { message: selection.error, traceback: details });
  return changed({ ...unshelveFailed(s, selection.error, at), requested_host: null, task_request_id: null });
}

/** Whether a `build` or `spawned` message is an offloaded server's unshelve (behaviour.ts hands those over). */
export const isUnshelving = (s: InstanceRow | null): boolean =>
  Boolean(s && !s.deleted_at && s.vm_state === 'shelved_offloaded' && s.task_state === 'unshelving');

/** A host sent the unshelve back (it could not claim): the scheduler is asked again, that host left out. */
export function unshelveBuild(s: InstanceRow, request: BuildRequest, ctx: HandlerContext): Promise<Outcome<InstanceRow>> {
  if (request.last_error)
    new ActionLog(ctx, s.uuid).finish(actionId(s.uuid, 'unshelve', s.task_request_id ?? ''), IMAGE_RULES.unshelve.event, ctx.now, {
      message: request.last_error,
    });
  return placeUnshelve(s, request, ctx);
}

/** The host claimed and started the unshelved server: ACTIVE there, and the shelved image deleted (Nova's unshelve). */
export function unshelveSpawned(s: InstanceRow, p: { host: string; node: string; power_state: number }, ctx: HandlerContext): Outcome<InstanceRow> {
  const at = stampOf(s, ctx.now);
  new ActionLog(ctx, s.uuid).finish(actionId(s.uuid, 'unshelve', s.task_request_id ?? ''), IMAGE_RULES.unshelve.event, at);
  const next = { ...unshelvedOn(s, p.host, p.node, p.power_state, at), requested_host: null, task_request_id: null };
  if (s.shelved_image_id) orderHost(next, 'drop_image', s.task_request_id ?? s.uuid, ctx, { image_id: s.shelved_image_id });
  return changed(next);
}

export const imageBehaviourWith = (options: ImageActionOptions): { readonly [T in keyof Messages]: Handler<T> } => {
  const offloadMs = options.shelvedOffloadMs ?? 0;
  const actionMs = options.actionMs ?? 600_000;
  // Every order to a host carries its deadline: a delayed check to the instance itself.
  const ordered = (...args: Parameters<typeof orderedOnce>) => {
    const outcome = orderedOnce(...args);
    const [, op, caller, ctx] = args;
    const at = new Date(outcome.state.updated_at).getTime();
    ctx.send(ctx.self, 'imageCheck', { op, request_id: caller.request_id, deadline: at + actionMs }, { delayMs: actionMs });
    return outcome;
  };
  return {
    snapshot: (state, { image_id, ...caller }, ctx) => ordered(state, 'snapshot', caller, ctx, { image_id }),
    backup: (state, { image_id, backup_type, rotation, ...caller }, ctx) =>
      ordered(state, 'backup', caller, ctx, { image_id, backup_type, rotation }),
    shelve: (state, { image_id, ...caller }, ctx) =>
      ordered(state, 'shelve', caller, ctx, { image_id, offload: offloadMs === 0 }, (s) => ({ ...s, shelved_image_id: image_id })),
    shelveOffload: (state, caller, ctx) => ordered(state, 'shelve_offload', caller, ctx),
    unshelve: (state, { scheduler, availability_zone, host, ...caller }, ctx) => {
      const s = visible(state, caller, ctx);
      // Still on its host: the guest is there and boots again.
      if (s.vm_state !== 'shelved_offloaded') return ordered(s, 'unshelve', caller, ctx, s.shelved_image_id ? { image_id: s.shelved_image_id } : {});
      // Its event begins once the scheduler has picked a host (placeUnshelve).
      const { at } = accept(s, 'unshelve', caller, ctx);
      const zone = availability_zone === undefined ? s.availability_zone : availability_zone;
      const next: InstanceRow = {
        ...imageAccepted(s, 'unshelve', at),
        availability_zone: zone,
        requested_host: host ?? null,
        task_request_id: caller.request_id,
      };
      ctx.send(ctx.self, 'imageCheck', { op: 'unshelve', request_id: caller.request_id, deadline: at + actionMs }, { delayMs: actionMs });
      return placeUnshelve(next, { scheduler, tried: [], attempt: 1 }, ctx);
    },
    rescue: (state, { rescue_image_ref, ...caller }, ctx) =>
      ordered(state, 'rescue', caller, ctx, rescue_image_ref ? { image_id: rescue_image_ref } : {}),
    unrescue: (state, caller, ctx) => ordered(state, 'unrescue', caller, ctx),
    rebuild: (state, { image_ref, request_id, user_id, project_id, is_admin, ...fields }, ctx) => {
      const caller = { request_id, user_id, project_id, is_admin };
      const s = visible(state, caller, ctx);
      return ordered(s, 'rebuild', caller, ctx, { image_id: image_ref, start: s.vm_state !== 'stopped' }, (row) => rebuilt(row, image_ref, fields));
    },
    // Delivered once shelved_offload_time has passed (its due time survives a restart).
    shelveOffloadCheck: (state, { shelved_at }, ctx) => {
      // Unshelved, offloaded or shelved again meanwhile: this check is no longer the one that counts.
      if (!state || state.deleted_at || state.vm_state !== 'shelved' || state.task_state !== null) return { reply: state };
      if (!state.shelved_at || new Date(state.shelved_at).getTime() !== shelved_at) return { reply: state };
      // Nova's _poll_shelved_instances offloads as the system, for the owner's project.
      const system: Caller = {
        request_id: `req-offload-${state.uuid}-${shelved_at}`,
        user_id: state.user_id,
        project_id: state.project_id,
        is_admin: true,
      };
      return ordered(state, 'shelve_offload', system, ctx);
    },
    // Delivered at its deadline (its due time survives a restart).
    imageCheck: (state, { op, request_id }, ctx) => {
      // Reported meanwhile, or another action under way: nothing to end.
      if (!state || state.deleted_at || state.task_request_id !== request_id || !IMAGE_RULES[op].expecting.includes(state.task_state ?? ''))
        return { reply: state };
      const error = { message: `Timed out waiting for compute host ${state.host ?? '(none)'} to ${IMAGE_RULES[op].action} instance ${state.uuid}` };
      const at = stampOf(state, ctx.now);
      new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, IMAGE_RULES[op].action, request_id), IMAGE_RULES[op].event, at, error);
      ctx.log.warn({ op, instance: state.uuid }, 'image action timed out');
      return changed({ ...imageReported(state, op, { power_state: state.power_state, error }, at)!, task_request_id: null });
    },
    imageProgress: (state, { op, task_state }, ctx) => {
      const next = state ? imageProgressed(state, op, task_state, stampOf(state, ctx.now)) : undefined;
      return next ? changed(next) : { reply: state };
    },
    imageDone: (state, { op, request_id, ...report }, ctx) => {
      if (!state) throw reject(`instance ${ctx.self.id} not found`);
      const at = stampOf(state, ctx.now);
      const log = new ActionLog(ctx, state.uuid);
      log.finish(actionId(state.uuid, IMAGE_RULES[op].action, request_id), IMAGE_RULES[op].event, at, report.error);
      let next = imageReported(state, op, report, at);
      if (!next) return { reply: state };
      next = { ...next, task_request_id: null };
      if (report.error) ctx.log.warn({ op, error: report.error.message }, 'image action failed');
      if (op === 'shelve' && !report.error) next = { ...next, shelved_at: new Date(at) };
      if (op === 'rebuild' && !report.error) next = { ...next, launched_at: new Date(at) };
      // Shelved and kept on its host for shelved_offload_time, then offloaded (0 offloaded at once, on the host's side).
      if (op === 'shelve' && !report.error && next.vm_state === 'shelved' && offloadMs > 0)
        ctx.send(ctx.self, 'shelveOffloadCheck', { shelved_at: at, deadline: at + offloadMs }, { delayMs: offloadMs });
      return changed(next);
    },
  };
};

type RebuildFields = Omit<Payload<'rebuild'>, 'image_ref' | 'request_id' | 'user_id' | 'project_id' | 'is_admin' | 'preserve_ephemeral'> & {
  preserve_ephemeral?: boolean;
};

/** The fields a rebuild changes (only those given); metadata given replaces the server's. */
function rebuilt(s: InstanceRow, imageRef: string, f: RebuildFields): InstanceRow {
  return {
    ...s,
    image_ref: imageRef,
    ...(f.display_name !== undefined ? { display_name: f.display_name } : {}),
    ...(f.display_description !== undefined ? { display_description: f.display_description } : {}),
    ...(f.metadata !== undefined ? { metadata: JSON.stringify(f.metadata) } : {}),
    ...(f.key_name !== undefined ? { key_name: f.key_name } : {}),
    ...(f.user_data !== undefined ? { user_data: f.user_data } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(f.access_ip_v4 !== undefined ? { access_ip_v4: f.access_ip_v4 } : {}),
    ...(f.access_ip_v6 !== undefined ? { access_ip_v6: f.access_ip_v6 } : {}),
    ...(f.auto_disk_config !== undefined ? { auto_disk_config: f.auto_disk_config } : {}),
  };
}
