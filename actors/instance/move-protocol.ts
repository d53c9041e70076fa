import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// Moving a server (resize, cold and live migration): the API's orders, who asks as in power-protocol.ts,
// and the hosts' reports on carrying them out.

const text = (maxLength = 255) => Chars(1, maxLength);
const count = () => Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;

const callerFields = {
  request_id: text(),
  user_id: text(),
  project_id: text(),
  is_admin: Type.Boolean(),
};

/** The flavor a server runs with, as the instance embeds it. */
export const MoveFlavor = Type.Object(
  {
    flavor_id: text(),
    flavor_name: Type.Union([text(), Type.Null()]),
    memory_mb: Type.Integer({ minimum: 1 }),
    vcpus: Type.Integer({ minimum: 1 }),
    root_gb: count(),
    ephemeral_gb: count(),
    swap: count(),
    flavor_extra_specs: Chars(2, 65_535),
  },
  strict,
);

/** The migration record the API made an id for. */
const migrationFields = {
  migration_uuid: text(36),
  migration_id: Type.Integer({ minimum: 1 }),
  /** The scheduler actor that picks the destination. */
  scheduler: text(),
  /** A host the admin asked for (2.56 for cold migration). */
  host: Type.Optional(text()),
  /**
   * Whether a refusal by the scheduler comes back to the caller (400), or, as an asynchronous call in Nova,
   * ends the migration in error with the server as it was.
   */
  async: Type.Boolean(),
};

const report = { migration_uuid: text(36) };

export const moveMessages = {
  /** resize (a new flavor) or migrate (the same one): to another host, or the same when allowed. */
  resize: {
    durable: true,
    payload: Type.Object(
      {
        ...callerFields,
        ...migrationFields,
        migration_type: Type.Union([Type.Literal('resize'), Type.Literal('migration')]),
        flavor: MoveFlavor,
        same_host: Type.Boolean(),
        /** Nova's resize_confirm_window in ms; 0: no automatic confirmation. */
        confirm_window_ms: count(),
        /** OS-DCF:diskConfig the server has from this resize on (AUTO: true); absent: unchanged. */
        auto_disk_config: Type.Optional(Type.Boolean()),
      },
      strict,
    ),
  },
  confirmResize: { durable: true, payload: Type.Object(callerFields, strict) },
  revertResize: { durable: true, payload: Type.Object(callerFields, strict) },
  /** To itself, `confirm_window_ms` after the resize finished: confirmed by the system if still waiting. */
  autoConfirm: { durable: true, payload: Type.Object({ ...report, deadline: count() }, strict) },
  liveMigrate: {
    durable: true,
    payload: Type.Object({ ...callerFields, ...migrationFields, force: Type.Boolean(), block_migration: Type.Boolean() }, strict),
  },
  /** evacuate: rebuilt on another host, its own host's compute service being down. */
  evacuate: { durable: true, payload: Type.Object({ ...callerFields, ...migrationFields, force: Type.Boolean() }, strict) },
  /**
   * To itself when hosts are ordered, delivered `timeouts.actionMs` later: a move its hosts have not carried out by
   * then (an order dead-lettered, a host gone) ends in ERROR with a fault, as Nova leaves a move that failed midway.
   */
  moveCheck: { durable: true, payload: Type.Object({ ...report, task_state: text(32), deadline: count() }, strict) },
  /** From a host: the move has reached this task state. */
  moveProgress: {
    durable: true,
    payload: Type.Object({ ...report, task_state: Type.Union([Type.Literal('resize_migrating'), Type.Literal('resize_migrated')]) }, strict),
  },
  /** From the destination: the guest is defined there (and running if it ran before). */
  moveFinished: { durable: true, payload: Type.Object({ ...report, power_state: Type.Integer({ minimum: 0, maximum: 7 }) }, strict) },
  /** From a host: the move could not be carried out there; the server stays where it was. */
  moveFailed: { durable: true, payload: Type.Object({ ...report, message: Chars(0, 1024) }, strict) },
  /**
   * From a host about to carry out a step: is this move still the one under way? A move that timed out or failed
   * meanwhile must not go on, and its destination's copy and claim are undone instead (Nova's rollback).
   */
  moveCurrent: { durable: false, payload: Type.Object(report, strict) },
  /** From the source: its copy and claim are gone, the resize is confirmed. */
  resizeConfirmed: { durable: true, payload: Type.Object({ ...report, request_id: text() }, strict) },
  /** From the source: the guest is back on it with its old flavor. */
  resizeReverted: {
    durable: true,
    payload: Type.Object({ ...report, request_id: text(), power_state: Type.Integer({ minimum: 0, maximum: 7 }) }, strict),
  },
} as const;
