import { Type } from '@sinclair/typebox';
import { HOST_OPS } from '../instance/power.js';
import { Chars } from '../../runtime/chars.js';

// A host's power operations on the domains of its servers (Nova's compute manager and libvirt driver).

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const op = () => Type.Union(HOST_OPS.map((o) => Type.Literal(o)));

export const powerMessages = {
  /** From an instance whose action the API accepted: carry it out on the domain and report back. */
  power: {
    durable: true,
    payload: Type.Object(
      {
        instance_uuid: text(36),
        op: op(),
        request_id: text(),
        // What a domain defined afresh needs (a start, a hard reboot).
        memory_mb: Type.Integer({ minimum: 1 }),
        vcpus: Type.Integer({ minimum: 1 }),
        /** Set by the host once its hypervisor did not answer: tried again until then (ms), then failed with a fault. */
        unreachable_until: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  },
  /**
   * To itself, while a guest has been asked to shut down (a stop, a soft reboot): looked at again
   * until it is off or `deadline` (ms) passes, when it is destroyed. Re-asked every `resend_at`.
   */
  shutdownCheck: {
    durable: true,
    payload: Type.Object(
      {
        instance_uuid: text(36),
        op: Type.Union([Type.Literal('stop'), Type.Literal('soft_reboot')]),
        request_id: text(),
        memory_mb: Type.Integer({ minimum: 1 }),
        vcpus: Type.Integer({ minimum: 1 }),
        /** The running domain's id when the shutdown was asked: another id means it was started again meanwhile. */
        domain_id: Type.Union([Type.Integer(), Type.Null()]),
        deadline: Type.Integer({ minimum: 0 }),
        resend_at: Type.Integer({ minimum: 0 }),
        unreachable_until: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: false },
    ),
  },
} as const;
