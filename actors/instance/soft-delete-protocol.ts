import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// Soft delete (Nova's reclaim_instance_interval > 0): the API's delete powers the guest off and keeps it
// (SOFT_DELETED), `restore` brings it back, and a reclaim once the interval has passed deletes it.

const text = (maxLength = 255) => Chars(1, maxLength);
const callerFields = { request_id: text(), user_id: text(), project_id: text(), is_admin: Type.Boolean() };
const after = () => Type.Integer({ minimum: 1 });
const report = {
  request_id: text(),
  power_state: Type.Integer({ minimum: 0, maximum: 7 }),
  error: Type.Optional(Type.Object({ message: Chars(0, 65_535) }, { additionalProperties: false })),
};

export const softDeleteMessages = {
  /** The API's delete under a reclaim interval: reclaimed `reclaim_after_ms` after it is done. */
  softDelete: { durable: true, payload: Type.Object({ ...callerFields, reclaim_after_ms: after() }, { additionalProperties: false }) },
  /** From its host: the guest is powered off (its domain and resources kept). */
  softDeleted: { durable: true, payload: Type.Object({ ...report, reclaim_after_ms: after() }, { additionalProperties: false }) },
  /** The `restore` action. */
  restore: { durable: true, payload: Type.Object(callerFields, { additionalProperties: false }) },
  /** From its host: the guest is running again. */
  restored: { durable: true, payload: Type.Object(report, { additionalProperties: false }) },
  /**
   * To itself when its host is ordered, delivered `timeouts.actionMs` later: a power-off or power-on the host has not
   * reported by then ends with a fault on its event and the task cleared (Nova's reverts_task_state).
   */
  keptPowerCheck: {
    durable: true,
    payload: Type.Object(
      { op: Type.Union([Type.Literal('soft_delete'), Type.Literal('restore')]), request_id: text(), deadline: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
  },
  /** To itself, delayed by the interval: a server still soft-deleted then is deleted (Nova's _reclaim_queued_deletes). */
  reclaim: {
    durable: true,
    payload: Type.Object({ deadline: Type.Integer({ minimum: 0 }), reclaim_after_ms: after() }, { additionalProperties: false }),
  },
} as const;
