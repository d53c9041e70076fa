import type { Microversion } from '../microversion.js';
import type { Schema } from '../json-schema.js';

// Nova's request schemas for the power actions that take a body (nova/api/openstack/compute/schemas/
// servers.py `reboot`, lock_server.py `lock_v2_73` at 26.0.0); the others' values are not looked at.

export const reboot: Schema = {
  type: 'object',
  properties: {
    reboot: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: ['reboot'],
  additionalProperties: false,
};

/** From 2.73 a lock may give its reason; before, the body's value is ignored. */
export const lock = (v: Microversion): Schema | undefined =>
  v.atLeast('2.73')
    ? {
        type: 'object',
        properties: {
          lock: {
            type: ['object', 'null'],
            properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } },
            additionalProperties: false,
          },
        },
        required: ['lock'],
        additionalProperties: false,
      }
    : undefined;
