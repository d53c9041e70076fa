import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

export const schedulerProtocol = defineProtocol('scheduler', {
  recordDecision: {
    durable: true,
    payload: Type.Object({ instance_uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 36 })) }, { additionalProperties: false }),
  },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
