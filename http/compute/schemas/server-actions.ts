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

/** os-getConsoleOutput (console_output.py): `length` a whole number from -1, as a number or a string, or null. */
export const consoleOutput: Schema = {
  type: 'object',
  properties: {
    'os-getConsoleOutput': {
      type: 'object',
      properties: { length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 } },
      additionalProperties: false,
    },
  },
  required: ['os-getConsoleOutput'],
  additionalProperties: false,
};
