import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// The host's part in trigger_crash_dump and server diagnostics (issue 18).

const uuid = () => Chars(36, 36);

export const hostAdminMessages = {
  /** From an instance: inject an NMI into its guest (Nova's trigger_crash_dump), then report `crashDumpDone`. */
  injectNmi: { durable: true, payload: Type.Object({ instance_uuid: uuid(), request_id: Chars(1, 255) }, { additionalProperties: false }) },
  /** The guest's figures as libvirt gives them (Nova's get_instance_diagnostics); a question, no state changes. */
  diagnostics: { durable: false, payload: Type.Object({ instance_uuid: uuid() }, { additionalProperties: false }) },
  /** From an instance being soft-deleted: power the guest off at once (Nova's power_off, timeout 0), keeping it. */
  powerOffKept: {
    durable: true,
    payload: Type.Object(
      { instance_uuid: uuid(), request_id: Chars(1, 255), reclaim_after_ms: Type.Integer({ minimum: 1 }) },
      { additionalProperties: false },
    ),
  },
  /** From an instance being restored: start its kept guest again. */
  powerOnKept: {
    durable: true,
    payload: Type.Object(
      { instance_uuid: uuid(), request_id: Chars(1, 255), memory_mb: Type.Integer({ minimum: 1 }), vcpus: Type.Integer({ minimum: 1 }) },
      { additionalProperties: false },
    ),
  },
} as const;
