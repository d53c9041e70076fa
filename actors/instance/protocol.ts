import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const text = (maxLength = 255) => Type.String({ minLength: 1, maxLength });
const nullable = <T extends ReturnType<typeof text>>(schema: T) => Type.Union([schema, Type.Null()]);

// 'deleted' is left out on purpose: only `delete` may set it, so deleted_at always goes with it.
export const VM_STATES = [
  'active', 'building', 'paused', 'suspended', 'stopped', 'rescued', 'resized',
  'soft-delete', 'shelved', 'shelved_offloaded', 'error',
] as const;

export const instanceProtocol = defineProtocol('instance', {
  create: {
    durable: true,
    payload: Type.Object({
      project_id: text(),
      user_id: text(),
      display_name: text(),
      display_description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
      flavor_id: text(),
      memory_mb: Type.Integer({ minimum: 1 }),
      vcpus: Type.Integer({ minimum: 1 }),
      root_gb: Type.Integer({ minimum: 0 }),
      ephemeral_gb: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
      // Empty for a server booted from a volume, as in Nova.
      image_ref: Type.String({ maxLength: 255 }),
      key_name: Type.Optional(nullable(text())),
      availability_zone: nullable(text()),
      reservation_id: text(),
      launch_index: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    }, { additionalProperties: false }),
  },
  rename: {
    durable: true,
    payload: Type.Object({ display_name: text() }, { additionalProperties: false }),
  },
  setState: {
    durable: true,
    payload: Type.Object({
      vm_state: Type.Union(VM_STATES.map((s) => Type.Literal(s))),
      task_state: nullable(text(32)),
      power_state: Type.Integer({ minimum: 0, maximum: 7 }),
      host: Type.Optional(nullable(text())),
      node: Type.Optional(nullable(text())),
    }, { additionalProperties: false }),
  },
  delete: { durable: true, payload: Type.Object({}, { additionalProperties: false }) },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
