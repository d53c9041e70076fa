import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const empty = () => Type.Object({}, { additionalProperties: false });

export const volumeProtocol = defineProtocol('volume', {
  create: {
    durable: true,
    payload: Type.Object(
      {
        project_id: Type.String({ minLength: 1, maxLength: 255 }),
        // Cinder allows an empty volume name.
        name: Type.String({ maxLength: 255 }),
        size_gb: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
  },
  attach: {
    durable: true,
    payload: Type.Object({ instance_uuid: Type.String({ minLength: 1, maxLength: 36 }) }, { additionalProperties: false }),
  },
  detach: { durable: true, payload: empty() },
  delete: { durable: true, payload: empty() },
  get: { durable: false, payload: empty() },
});
