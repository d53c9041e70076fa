import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// The instance's small server actions (issue 18): os-resetState, changePassword and trigger_crash_dump
// from the API (who asks, as Nova's request context), and the host's report on the crash dump.

const text = (maxLength = 255) => Chars(1, maxLength);

const callerFields = {
  request_id: text(),
  user_id: text(),
  project_id: text(),
  /** Admins pass the lock (Nova's check_instance_lock). */
  is_admin: Type.Boolean(),
};

export const adminMessages = {
  /** An admin's os-resetState: vm_state set, task_state cleared, whatever the server was doing. */
  resetState: {
    durable: true,
    payload: Type.Object({ ...callerFields, state: Type.Union([Type.Literal('active'), Type.Literal('error')]) }, { additionalProperties: false }),
  },
  /** changePassword: answered as Nova's libvirt driver answers for a guest without the QEMU guest agent. */
  changePassword: { durable: true, payload: Type.Object(callerFields, { additionalProperties: false }) },
  /** trigger_crash_dump (2.17): an NMI injected by the host. */
  crashDump: { durable: true, payload: Type.Object(callerFields, { additionalProperties: false }) },
  /** From its host: the NMI was injected, or why not. */
  crashDumpDone: {
    durable: true,
    payload: Type.Object(
      { request_id: text(), error: Type.Optional(Type.Object({ message: Chars(0, 65_535) }, { additionalProperties: false })) },
      { additionalProperties: false },
    ),
  },
} as const;
