import { Type, type TSchema } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';
import { HOST_IMAGE_OPS } from '../host/image-protocol.js';
import { MetadataItems } from './fields-protocol.js';

// The instance's image-based actions (createImage, createBackup, shelve, shelveOffload, unshelve, rescue,
// unrescue, rebuild): from the API (who asks, as Nova's request context), and the host's reports on them.

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const orNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const callerFields = {
  request_id: text(),
  user_id: text(),
  project_id: text(),
  /** Admins pass the lock (Nova's check_instance_lock). */
  is_admin: Type.Boolean(),
};
const caller = <F extends Record<string, TSchema>>(fields: F = {} as F) =>
  Type.Object({ ...callerFields, ...fields }, { additionalProperties: false });
const op = () => Type.Union(HOST_IMAGE_OPS.filter((o) => o !== 'drop_image').map((o) => Type.Literal(o)));

export const imageActionMessages = {
  /** createImage: the image service holds the queued snapshot `image_id` already, as Nova's API makes it first. */
  snapshot: { durable: true, payload: caller({ image_id: text(36) }) },
  backup: { durable: true, payload: caller({ image_id: text(36), backup_type: text(), rotation: Type.Integer({ minimum: 0 }) }) },
  shelve: { durable: true, payload: caller({ image_id: text(36) }) },
  shelveOffload: { durable: true, payload: caller({}) },
  /** `availability_zone` null unpins the server from its zone (2.91); `host` (2.91, admins) is asked of the scheduler. */
  unshelve: {
    durable: true,
    payload: caller({ scheduler: text(), availability_zone: Type.Optional(orNull(text())), host: Type.Optional(text()) }),
  },
  rescue: { durable: true, payload: caller({ rescue_image_ref: Type.Optional(text(36)) }) },
  unrescue: { durable: true, payload: caller({}) },
  /** The fields a rebuild changes, each only when given. */
  rebuild: {
    durable: true,
    payload: caller({
      image_ref: text(36),
      display_name: Type.Optional(text()),
      display_description: Type.Optional(orNull(Chars(0, 255))),
      metadata: Type.Optional(MetadataItems),
      key_name: Type.Optional(orNull(text())),
      user_data: Type.Optional(orNull(Chars(0, 65_535))),
      hostname: Type.Optional(text()),
      access_ip_v4: Type.Optional(orNull(text(39))),
      access_ip_v6: Type.Optional(orNull(text(39))),
      preserve_ephemeral: Type.Optional(Type.Boolean()),
      /** OS-DCF:diskConfig: AUTO (true) or MANUAL (false). */
      auto_disk_config: Type.Optional(Type.Boolean()),
    }),
  },
  /** To itself `shelved_offload_time` after a shelve: still shelved then, it is offloaded. */
  shelveOffloadCheck: {
    durable: true,
    payload: Type.Object({ shelved_at: Type.Integer({ minimum: 0 }), deadline: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  /**
   * To itself when its host is ordered, delivered `timeouts.actionMs` later: an action the host has not reported by
   * then (its order dead-lettered, the host gone) ends with a fault, as a failed one does.
   */
  imageCheck: {
    durable: true,
    payload: Type.Object({ op: op(), request_id: text(), deadline: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  /** From its host: a step of the work (image_pending_upload, rebuild_spawning…). */
  imageProgress: { durable: true, payload: Type.Object({ op: op(), request_id: text(), task_state: text(64) }, { additionalProperties: false }) },
  /** From its host: the action is done (or failed), with the domain's power state after it. */
  imageDone: {
    durable: true,
    payload: Type.Object(
      {
        op: op(),
        request_id: text(),
        power_state: Type.Integer({ minimum: 0, maximum: 7 }),
        released: Type.Optional(Type.Boolean()),
        error: Type.Optional(Type.Object({ message: Chars(0, 65_535), traceback: Type.Optional(Chars(0, 65_535)) })),
      },
      { additionalProperties: false },
    ),
  },
} as const;
