import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// The host's part in trigger_crash_dump and server diagnostics (issue 18).

const uuid = () => Chars(36, 36);

export const hostAdminMessages = {
  /** From an instance: inject an NMI into its guest (Nova's trigger_crash_dump), then report `crashDumpDone`. */
  injectNmi: { durable: true, payload: Type.Object({ instance_uuid: uuid(), request_id: Chars(1, 255) }, { additionalProperties: false }) },
  /** The guest's figures as libvirt gives them (Nova's get_instance_diagnostics); a question, no state changes. */
  diagnostics: { durable: false, payload: Type.Object({ instance_uuid: uuid() }, { additionalProperties: false }) },
} as const;
