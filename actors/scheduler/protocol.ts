import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const text = (maxLength = 255) => Type.String({ minLength: 1, maxLength });
const count = () => Type.Integer({ minimum: 0 });

/** What one boot asks of a host; the host's claim carries the same fields back on a reschedule. */
export const BootRequest = Type.Object({
  instance_uuid: text(36),
  project_id: text(),
  vcpus: count(),
  memory_mb: count(),
  disk_gb: count(),
  availability_zone: Type.Union([text(), Type.Null()]),
  image_ref: Type.String({ maxLength: 255 }),
  /** Hosts that already refused or failed this boot. */
  tried: Type.Array(text(), { maxItems: 64 }),
  attempt: Type.Integer({ minimum: 1 }),
  last_error: Type.Optional(Type.String({ maxLength: 1024 })),
}, { additionalProperties: false });

export const schedulerProtocol = defineProtocol('scheduler', {
  /** Place a boot: the chosen host is asked to claim it, or the instance is told no host can. */
  schedule: { durable: true, payload: BootRequest },
  /** The nova-scheduler service reporting in. */
  heartbeat: { durable: true, payload: Type.Object({}, { additionalProperties: false }) },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
