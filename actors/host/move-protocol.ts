import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// A host's part in moving a server (Nova's prep_resize, resize_instance, finish_resize, confirm and revert,
// pre_live_migration and live_migration), on the domains of simulated hosts.

const text = (maxLength = 255) => Chars(1, maxLength);
const count = () => Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;

const guest = {
  instance_uuid: text(36),
  migration_uuid: text(36),
  vcpus: count(),
  memory_mb: count(),
  disk_gb: count(),
};
const withImage = { image_ref: Chars(0, 255) };
const resources = () => Type.Object({ vcpus: count(), memory_mb: count(), disk_gb: count() }, strict);

export const moveMessages = {
  /** Destination: claim the new flavor (the source keeps the old claim until confirmed). */
  prepResize: { durable: true, payload: Type.Object({ ...guest, ...withImage, source: text(), running: Type.Boolean() }, strict) },
  /** Source: the guest leaves (its domain undefined; its claim kept for a revert). */
  resizeMigrate: { durable: true, payload: Type.Object({ ...guest, ...withImage, dest: text(), running: Type.Boolean() }, strict) },
  /** Destination: the guest defined with the new flavor, started if it ran. */
  finishResize: { durable: true, payload: Type.Object({ ...guest, ...withImage, running: Type.Boolean() }, strict) },
  /** Source, on confirm: the old claim freed. */
  dropSource: { durable: true, payload: Type.Object({ ...guest, request_id: text() }, strict) },
  /** Destination, on revert: the guest and the new claim gone; the source takes it back. */
  dropDest: {
    durable: true,
    payload: Type.Object({ ...guest, ...withImage, request_id: text(), source: text(), running: Type.Boolean(), old: resources() }, strict),
  },
  /** Source, on revert: the guest defined again with its old flavor. */
  finishRevert: { durable: true, payload: Type.Object({ ...guest, ...withImage, request_id: text(), running: Type.Boolean() }, strict) },
  /** Destination of a live migration: claim and start the guest (paused if it was). */
  liveIn: {
    durable: true,
    payload: Type.Object({ ...guest, ...withImage, source: text(), paused: Type.Boolean(), force: Type.Boolean() }, strict),
  },
  /** Destination of an evacuation: claim and rebuild the guest (started unless it was stopped). */
  evacuateIn: { durable: true, payload: Type.Object({ ...guest, ...withImage, running: Type.Boolean() }, strict) },
  /** The host a server was evacuated from: its copy destroyed and its claim freed, once its hypervisor answers. */
  dropEvacuated: { durable: true, payload: Type.Object(guest, strict) },
  /** Source of a live migration: the guest runs on the destination; undefine it here and free its claim. */
  liveOut: {
    durable: true,
    payload: Type.Object({ ...guest, dest: text(), power_state: Type.Integer({ minimum: 0, maximum: 7 }) }, strict),
  },
  /** Destination of a move that timed out or failed: its copy of the guest (if any) and its claim undone. */
  abandonMove: { durable: true, payload: Type.Object(guest, strict) },
} as const;
