import type { Static } from '@sinclair/typebox';
import { adminHandlers } from './admin-behaviour.js';
import { softDeleteHandlers } from './soft-delete-behaviour.js';
import type { Behaviour, HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { Selection } from '../scheduler/index.js';
import { aggregateSpecsOf } from '../scheduler/extra-specs-match.js';
import type { instanceProtocol } from './protocol.js';
import { powerBehaviourWith } from './power-behaviour.js';
import { ActionLog, actionId, BUILD_EVENT, SCHEDULE_EVENT, stampOf, TERMINATE_EVENT } from './actions.js';
import { dbBool, fieldHandlers } from './fields.js';
import { imageBehaviourWith, isUnshelving, unshelveBuild, unshelveSpawned } from './image-behaviour.js';
import { moveBehaviour } from './move-behaviour.js';
import { buildFailed, created, deleted, deleting, spawned, type BuildFailure, type InstanceRow } from './state.js';

/** A deleted instance answers like a missing one, as Nova's API does. */
const live = (state: InstanceRow | null, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

const changed = (next: InstanceRow) => ({ state: next, reply: next });

/** What its host must free when the instance goes. */
const release = (s: InstanceRow, ctx: HandlerContext) =>
  ctx.send(ref('host', s.host!), 'release', {
    instance_uuid: s.uuid,
    vcpus: s.vcpus,
    memory_mb: s.memory_mb,
    disk_gb: s.root_gb + s.ephemeral_gb,
  });

type BuildRequest = Static<typeof instanceProtocol.spec.build.payload>;

/**
 * Asks the scheduler for a host and sends that host the claim; with no host the server goes
 * to ERROR with the scheduler's reason. On a new server whose scheduler cannot be reached,
 * the build is left to a `build` message of its own, retried under supervision.
 */
async function place(state: InstanceRow, request: BuildRequest, ctx: HandlerContext, fresh: boolean): Promise<Outcome<InstanceRow>> {
  const placement = {
    instance_uuid: state.uuid,
    vcpus: state.vcpus,
    memory_mb: state.memory_mb,
    disk_gb: state.root_gb + state.ephemeral_gb,
    availability_zone: state.availability_zone,
    tried: request.tried,
    attempt: request.attempt,
  };
  const specs = aggregateSpecsOf(state.flavor_extra_specs);
  if (specs) Object.assign(placement, { extra_specs: specs });
  if (state.image_ref) Object.assign(placement, { image: state.image_ref });
  if (request.server_group) Object.assign(placement, { server_group: request.server_group });
  if (request.host_hints) Object.assign(placement, { host_hints: request.host_hints });
  const destination = state.requested_host ? { destination: { host: state.requested_host, force: dbBool(state.force_host) } } : {};
  let selection: Selection;
  try {
    selection = await ctx.ask<Selection>(ref('scheduler', request.scheduler), 'select', { ...placement, ...destination });
  } catch (error) {
    if (fresh) {
      ctx.send(ctx.self, 'build', request);
      return changed(state);
    }
    selection = { error: `Failed to schedule instance ${state.uuid}: ${(error as Error).message}`.slice(0, 255) };
  }
  const log = new ActionLog(ctx, state.uuid);
  if ('host' in selection) {
    ctx.send(ref('host', selection.host), 'claim', { ...placement, image_ref: state.image_ref, scheduler: request.scheduler });
    log.begin(actionId(state.uuid, 'create'), BUILD_EVENT, selection.host, ctx.now);
    return fresh ? changed(state) : { reply: selection };
  }
  const details = request.last_error ? `Last failure: ${request.last_error}` : undefined;
  log.instant(actionId(state.uuid, 'create'), SCHEDULE_EVENT, request.scheduler, ctx.now, { message: selection.error, traceback: details });
  return changed(buildFailed(state, { code: 500, message: selection.error, ...(details ? { details } : {}) }, ctx.now));
}

/** How long the instance's sagas wait for the other actors before they end with a fault. */
export interface InstanceTimeouts {
  readonly buildMs: number;
  readonly actionMs: number;
  /** Nova's shelved_offload_time (ms): 0 at once, negative never. */
  readonly shelvedOffloadMs?: number;
}

export const DEFAULT_INSTANCE_TIMEOUTS: InstanceTimeouts = { buildMs: 600_000, actionMs: 600_000 };

// Nova's _check_instance_build_time message.
const BUILD_TIMED_OUT = 'Instance build timed out. Set to error state.';

/** The build failed: its event and the server's ERROR with the fault, as the scheduler's refusal records them. */
const failBuild = (state: InstanceRow, failure: BuildFailure, ctx: HandlerContext) => {
  new ActionLog(ctx, state.uuid).instant(actionId(state.uuid, 'create'), SCHEDULE_EVENT, null, ctx.now, {
    message: failure.message,
    traceback: failure.details,
  });
  return changed(buildFailed(state, failure, ctx.now));
};

export const instanceBehaviourWith = (timeouts: InstanceTimeouts): Behaviour<InstanceRow, typeof instanceProtocol.spec> => ({
  create: (state, { scheduler, request_id, server_group, host_hints, ...payload }, ctx) => {
    if (state) throw reject(`instance ${ctx.self.id} already exists`);
    const next = created(ctx.self.id, payload, ctx.now);
    const request = request_id ?? ctx.correlationId;
    if (request)
      new ActionLog(ctx, next.uuid).start('create', { request_id: request, user_id: payload.user_id, project_id: payload.project_id }, ctx.now);
    if (!scheduler) return changed(next);
    ctx.send(ctx.self, 'buildCheck', { deadline: ctx.now + timeouts.buildMs }, { delayMs: timeouts.buildMs });
    // Placed in the same commit when the scheduler answers; otherwise the build is retried as its own message.
    return place(
      next,
      { scheduler, tried: [], attempt: 1, ...(server_group ? { server_group } : {}), ...(host_hints ? { host_hints } : {}) },
      ctx,
      true,
    );
  },
  build: (state, request, ctx) => {
    if (isUnshelving(state)) return unshelveBuild(state!, request, ctx);
    // Deleted, failed or placed meanwhile: nothing left to build.
    if (!state || state.deleted_at || state.vm_state !== 'building') return { reply: state };
    // Sent back by a host that could not build it: that attempt's event ends in error.
    if (request.last_error)
      new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, 'create'), BUILD_EVENT, ctx.now, { message: request.last_error });
    return place(state, request, ctx, false);
  },
  spawned: (state, { host, node, power_state, availability_zone }, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    if (isUnshelving(state)) return unshelveSpawned(state, { host, node, power_state }, ctx);
    // Deleted while it was being built, or given up on (timed out, failed): the host must give the domain back.
    if (state.deleted_at || state.vm_state !== 'building') {
      release({ ...state, host }, ctx);
      return { reply: state };
    }
    new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, 'create'), BUILD_EVENT, ctx.now);
    return changed(spawned(state, { host, node, power_state, availability_zone }, ctx.now));
  },
  buildFailed: (state, failure, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    return failBuild(state, failure, ctx);
  },
  // Delivered at its deadline (its due time survives a restart): still building means timed out.
  buildCheck: (state, _deadline, ctx) => {
    if (!state || state.deleted_at || state.vm_state !== 'building') return { reply: state };
    ctx.log.warn({ instance: state.uuid }, 'build timed out');
    return failBuild(state, { code: 500, message: BUILD_TIMED_OUT }, ctx);
  },
  delete: (state, caller, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    // A repeated delete (a retried API call) succeeds without touching the row. Nova deletes in any task
    // state: the host's release is carried out whatever was under way, and its late reports change nothing.
    if (state.deleted_at) return { reply: state };
    if (state.task_state === 'deleting') {
      // Still not released after the action timeout (the host's message dead-lettered, say): ask the host again.
      // Not sooner: a host waiting for its hypervisor keeps its own release and would free the resources twice.
      if (state.host && ctx.now - new Date(state.updated_at).getTime() >= timeouts.actionMs) {
        ctx.log.warn({ instance: state.uuid, host: state.host }, 'delete not released in time; asking the host again');
        release(state, ctx);
        return changed(deleting(state, stampOf(state, ctx.now)));
      }
      return { reply: state };
    }
    const at = stampOf(state, ctx.now);
    const log = new ActionLog(ctx, state.uuid);
    const request = caller.request_id ?? ctx.correlationId;
    if (request)
      log.start('delete', { request_id: request, user_id: caller.user_id ?? state.user_id, project_id: caller.project_id ?? state.project_id }, at);
    if (!state.host) return changed(deleted(state, at));
    log.begin(actionId(state.uuid, 'delete'), TERMINATE_EVENT, state.host, at);
    release(state, ctx);
    return changed(deleting(state, at));
  },
  released: (state, _payload, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    new ActionLog(ctx, state.uuid).finish(actionId(state.uuid, 'delete'), TERMINATE_EVENT, ctx.now);
    return changed(deleted(state, ctx.now));
  },
  get: (state, _payload, ctx) => ({ reply: live(state, ctx) }),
  ...adminHandlers(),
  ...softDeleteHandlers(timeouts),
  ...powerBehaviourWith(timeouts),
  ...imageBehaviourWith({ shelvedOffloadMs: timeouts.shelvedOffloadMs, actionMs: timeouts.actionMs }),
  ...moveBehaviour(timeouts),
  // PUT /servers/{id}, metadata and tags (fields.ts).
  ...fieldHandlers((state, id) => {
    if (!state || state.deleted_at) throw reject(`instance ${id} not found`);
    return state;
  }),
});

export const instanceBehaviour = instanceBehaviourWith(DEFAULT_INSTANCE_TIMEOUTS);
