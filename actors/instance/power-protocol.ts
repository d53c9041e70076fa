import { Type } from '@sinclair/typebox';
import { HOST_OPS } from './power.js';
import { Chars } from '../../runtime/chars.js';

// The instance's power actions and locks: from the API (who asks, as Nova's request context),
// and the host's reports on carrying them out.

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);

const callerFields = {
  request_id: text(),
  user_id: text(),
  project_id: text(),
  /** Admins pass the lock (Nova's check_instance_lock). */
  is_admin: Type.Boolean(),
};
const caller = () => Type.Object(callerFields, { additionalProperties: false });
const op = () => Type.Union(HOST_OPS.map((o) => Type.Literal(o)));

export const powerMessages = {
  /** From its host: the hypervisor's view of the guest (its events, the periodic sync, reconciliation). */
  syncPowerState: { durable: true, payload: Type.Object({ power_state: Type.Integer({ minimum: 0, maximum: 7 }) }, { additionalProperties: false }) },
  stop: { durable: true, payload: caller() },
  start: { durable: true, payload: caller() },
  reboot: {
    durable: true,
    payload: Type.Object({ ...callerFields, type: Type.Union([Type.Literal('SOFT'), Type.Literal('HARD')]) }, { additionalProperties: false }),
  },
  pause: { durable: true, payload: caller() },
  unpause: { durable: true, payload: caller() },
  suspend: { durable: true, payload: caller() },
  resume: { durable: true, payload: caller() },
  lock: {
    durable: true,
    payload: Type.Object(
      {
        ...callerFields, // Nova counts 255 characters; a character beyond the BMP is two UTF-16 units here.
        reason: Type.Optional(Chars(1, 255)),
        api_host: Type.Optional(text()),
      },
      { additionalProperties: false },
    ),
  },
  unlock: { durable: true, payload: Type.Object({ ...callerFields, api_host: Type.Optional(text()) }, { additionalProperties: false }) },
  /** From its host: a power operation is done (or failed), with the domain's power state after it. */
  powerDone: {
    durable: true,
    payload: Type.Object(
      {
        op: op(),
        request_id: text(),
        power_state: Type.Integer({ minimum: 0, maximum: 7 }),
        error: Type.Optional(Type.Object({ message: Chars(0, 65_535), traceback: Type.Optional(Chars(0, 65_535)) })),
      },
      { additionalProperties: false },
    ),
  },
  /**
   * To itself when its host is ordered, delivered `timeouts.actionMs` later: an action the host has
   * not reported by then (its order dead-lettered, the host gone) ends with a fault, as a failed one does.
   */
  powerCheck: {
    durable: true,
    payload: Type.Object({ op: op(), request_id: text(), deadline: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  /** From its host: the operation is under way and waits for the guest (a soft reboot's reboot_started). */
  powerProgress: { durable: true, payload: Type.Object({ op: op(), request_id: text() }, { additionalProperties: false }) },
} as const;
