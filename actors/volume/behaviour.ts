import type { Behaviour, HandlerContext } from '../../runtime/kind.js';
import { reject } from '../../runtime/errors.js';
import type { volumeProtocol } from './protocol.js';
import { attached, created, deleted, detached, type VolumeRow } from './state.js';

const live = (state: VolumeRow | null, ctx: HandlerContext): VolumeRow => {
  if (!state || state.deleted_at) throw reject(`volume ${ctx.self.id} not found`);
  return state;
};

const changed = (next: VolumeRow) => ({ state: next, reply: next });

// Refusals read like Cinder's 400 "Invalid volume" errors, so the API can pass them through.
export const volumeBehaviour: Behaviour<VolumeRow, typeof volumeProtocol.spec> = {
  create: (state, payload, ctx) => {
    if (state) throw reject(`volume ${ctx.self.id} already exists`);
    return changed(created(ctx.self.id, payload, ctx.now));
  },
  attach: (state, { instance_uuid }, ctx) => {
    const volume = live(state, ctx);
    if (volume.status !== 'available') {
      throw reject(`Invalid volume: Volume status must be available to attach, but the current status is ${volume.status}.`);
    }
    return changed(attached(volume, instance_uuid, ctx.now));
  },
  detach: (state, _payload, ctx) => {
    const volume = live(state, ctx);
    if (volume.status !== 'in-use') {
      throw reject(`Invalid volume: Unable to detach volume. Volume status must be 'in-use' to detach, but the current status is ${volume.status}.`);
    }
    return changed(detached(volume, ctx.now));
  },
  delete: (state, _payload, ctx) => {
    if (!state) throw reject(`volume ${ctx.self.id} not found`);
    if (state.deleted_at) return { reply: state };
    // A volume that failed while attached is still attached: deleting it would pull it from under the server.
    if (state.status === 'in-use' || state.attached_to) {
      throw reject(`Invalid volume: Volume status must be available or error and must not be attached, but the current status is ${state.status}.`);
    }
    return changed(deleted(state, ctx.now));
  },
  get: (state, _payload, ctx) => ({ reply: live(state, ctx) }),
};
