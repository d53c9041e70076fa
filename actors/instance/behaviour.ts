import type { Static } from '@sinclair/typebox';
import type { Behaviour, HandlerContext, Outcome } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import { ref } from '../../runtime/ref.js';
import type { Selection } from '../scheduler/index.js';
import type { instanceProtocol } from './protocol.js';
import { dbBool, fieldHandlers } from './fields.js';
import {
  buildFailed, created, deleted, deleting, powerSynced, renamed, spawned, stateSet, type InstanceRow,
} from './state.js';

/** A deleted instance answers like a missing one, as Nova's API does. */
const live = (state: InstanceRow | null, ctx: HandlerContext): InstanceRow => {
  if (!state || state.deleted_at) throw reject(`instance ${ctx.self.id} not found`);
  return state;
};

const changed = (next: InstanceRow) => ({ state: next, reply: next });

/** What its host must free when the instance goes. */
const release = (s: InstanceRow, ctx: HandlerContext) => ctx.send(ref('host', s.host!), 'release', {
  instance_uuid: s.uuid, vcpus: s.vcpus, memory_mb: s.memory_mb, disk_gb: s.root_gb + s.ephemeral_gb,
});

type BuildRequest = Static<typeof instanceProtocol.spec.build.payload>;

/**
 * Asks the scheduler for a host and sends that host the claim; with no host the server goes
 * to ERROR with the scheduler's reason. On a new server whose scheduler cannot be reached,
 * the build is left to a `build` message of its own, retried under supervision.
 */
async function place(state: InstanceRow, request: BuildRequest, ctx: HandlerContext, fresh: boolean): Promise<Outcome<InstanceRow>> {
  const placement = {
    instance_uuid: state.uuid, vcpus: state.vcpus, memory_mb: state.memory_mb,
    disk_gb: state.root_gb + state.ephemeral_gb, availability_zone: state.availability_zone, tried: request.tried, attempt: request.attempt,
  };
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
  if ('host' in selection) {
    ctx.send(ref('host', selection.host), 'claim', { ...placement, image_ref: state.image_ref, scheduler: request.scheduler });
    return fresh ? changed(state) : { reply: selection };
  }
  const details = request.last_error ? `Last failure: ${request.last_error}` : undefined;
  return changed(buildFailed(state, { code: 500, message: selection.error, ...(details ? { details } : {}) }, ctx.now));
}

export const instanceBehaviour: Behaviour<InstanceRow, typeof instanceProtocol.spec> = {
  create: (state, { scheduler, ...payload }, ctx) => {
    if (state) throw reject(`instance ${ctx.self.id} already exists`);
    const next = created(ctx.self.id, payload, ctx.now);
    // Placed in the same commit when the scheduler answers; otherwise the build is retried as its own message.
    return scheduler ? place(next, { scheduler, tried: [], attempt: 1 }, ctx, true) : changed(next);
  },
  build: (state, request, ctx) => {
    // Deleted, failed or placed meanwhile: nothing left to build.
    if (!state || state.deleted_at || state.vm_state !== 'building') return { reply: state };
    return place(state, request, ctx, false);
  },
  spawned: (state, { host, node, power_state, availability_zone }, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    // Deleted while it was being built: the host must give the domain back.
    if (state.deleted_at) {
      release({ ...state, host }, ctx);
      return { reply: state };
    }
    return changed(spawned(state, { host, node, power_state, availability_zone }, ctx.now));
  },
  buildFailed: (state, failure, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    return changed(buildFailed(state, failure, ctx.now));
  },
  syncPowerState: (state, { power_state }, ctx) => {
    const s = live(state, ctx);
    return s.power_state === power_state ? { reply: s } : changed(powerSynced(s, power_state, ctx.now));
  },
  rename: (state, { display_name }, ctx) => changed(renamed(live(state, ctx), display_name, ctx.now)),
  setState: (state, payload, ctx) => changed(stateSet(live(state, ctx), payload, ctx.now)),
  delete: (state, _payload, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    // A repeated delete (a retried API call) succeeds without touching the row.
    if (state.deleted_at || state.task_state === 'deleting') return { reply: state };
    if (!state.host) return changed(deleted(state, ctx.now));
    release(state, ctx);
    return changed(deleting(state, ctx.now));
  },
  released: (state, _payload, ctx) => {
    if (!state) throw reject(`instance ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    return changed(deleted(state, ctx.now));
  },
  get: (state, _payload, ctx) => ({ reply: live(state, ctx) }),
  // PUT /servers/{id}, metadata and tags (fields.ts).
  ...fieldHandlers((state, id) => {
    if (!state || state.deleted_at) throw reject(`instance ${id} not found`);
    return state;
  }),
};
