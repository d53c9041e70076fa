import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const empty = () => Type.Object({}, { additionalProperties: false });

export const consoleProtocol = defineProtocol('console', {
  open: {
    durable: true,
    payload: Type.Object(
      {
        instance_uuid: Type.String({ minLength: 1, maxLength: 36 }),
        protocol: Type.Union([Type.Literal('vnc'), Type.Literal('spice'), Type.Literal('serial')]),
        // Nova's type names, e.g. 'novnc', 'spice-html5', 'serial'.
        console_type: Type.String({ minLength: 1, maxLength: 32 }),
        host: Type.String({ minLength: 1, maxLength: 255 }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        ttl_ms: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
  },
  close: { durable: true, payload: empty() },
  get: { durable: false, payload: empty() },
});
