import { Type } from '@sinclair/typebox';
import { adminMessages } from './admin-protocol.js';
import { softDeleteMessages } from './soft-delete-protocol.js';
import { defineProtocol } from '../../runtime/protocol.js';
import { powerMessages } from './power-protocol.js';
import { createFields, fieldMessages } from './fields-protocol.js';
import { imageActionMessages } from './image-protocol.js';
import { Chars } from '../../runtime/chars.js';
import { moveMessages } from './move-protocol.js';
import { HostHints } from '../scheduler/protocol.js';

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const nullable = <T extends ReturnType<typeof text>>(schema: T) => Type.Union([schema, Type.Null()]);
const powerState = () => Type.Integer({ minimum: 0, maximum: 7 });
const empty = () => Type.Object({}, { additionalProperties: false });

export const instanceProtocol = defineProtocol('instance', {
  /** A new server: recorded as building, and handed to `scheduler` in the same commit. */
  create: {
    durable: true,
    payload: Type.Object(
      {
        project_id: text(),
        user_id: text(),
        display_name: text(),
        display_description: Type.Optional(Type.Union([Chars(0, 255), Type.Null()])),
        flavor_id: text(),
        flavor_name: Type.Optional(text()),
        memory_mb: Type.Integer({ minimum: 1 }),
        vcpus: Type.Integer({ minimum: 1 }),
        root_gb: Type.Integer({ minimum: 0 }),
        ephemeral_gb: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        // Empty for a server booted from a volume, as in Nova.
        image_ref: Chars(0, 255),
        key_name: Type.Optional(nullable(text())),
        availability_zone: nullable(text()),
        reservation_id: text(),
        launch_index: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        /** The scheduler actor that places it; absent: the server is only recorded. */
        scheduler: Type.Optional(text()),
        /** The API request that asked for it: its `create` instance action. */
        request_id: Type.Optional(text()),
        /** The server group it joined (its members are recorded by the API): placed by the group's policy. */
        server_group: Type.Optional(text(36)),
        /** Its same_host / different_host scheduler hints, kept for every attempt of the build. */
        host_hints: Type.Optional(HostHints),
        ...createFields,
      },
      { additionalProperties: false },
    ),
  },
  /**
   * Find it a host and ask that host to claim it: sent by the instance to itself after create,
   * and by a host that could not take it (with that host added to `tried`).
   */
  build: {
    durable: true,
    payload: Type.Object(
      {
        scheduler: text(),
        tried: Type.Array(text(), { maxItems: 64 }),
        attempt: Type.Integer({ minimum: 1 }),
        last_error: Type.Optional(Chars(0, 1024)),
        server_group: Type.Optional(text(36)),
        host_hints: Type.Optional(HostHints),
      },
      { additionalProperties: false },
    ),
  },
  /** From the host that claimed and started it. */
  spawned: {
    durable: true,
    payload: Type.Object(
      { host: text(), node: text(), power_state: powerState(), availability_zone: Type.Optional(text()) },
      { additionalProperties: false },
    ),
  },
  /** No host could take it (also recorded by `build` itself when the scheduler says so). */
  buildFailed: {
    durable: true,
    payload: Type.Object(
      {
        code: Type.Integer({ minimum: 400, maximum: 599 }),
        message: text(),
        details: Type.Optional(Chars(0, 65_535)),
      },
      { additionalProperties: false },
    ),
  },
  /** The user's delete: at once when no host holds it, else once the host has released it. */
  delete: {
    durable: true,
    // Who asks, for its `delete` instance action.
    payload: Type.Object(
      { request_id: Type.Optional(text()), user_id: Type.Optional(text()), project_id: Type.Optional(text()) },
      { additionalProperties: false },
    ),
  },
  /** From its host: the domain is gone and its resources are free. */
  released: { durable: true, payload: empty() },
  /**
   * To itself when a build is handed to the scheduler, delivered `timeouts.buildMs` later: a server
   * still building then goes to ERROR with Nova's fault, whatever became of its claim (a dead letter,
   * a dead host); a host that builds it after all gives the guest back.
   */
  buildCheck: { durable: true, payload: Type.Object({ deadline: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) },
  get: { durable: false, payload: empty() },
  ...adminMessages,
  ...softDeleteMessages,
  ...powerMessages,
  // The API's updates, metadata and tags (fields-protocol.ts).
  ...fieldMessages,
  // createImage, createBackup, shelve, unshelve, rescue, rebuild (image-protocol.ts).
  ...imageActionMessages,
  // Resize, cold and live migration (move-protocol.ts).
  ...moveMessages,
});
