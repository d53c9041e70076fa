import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const count = () => Type.Integer({ minimum: 0 });

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
        /** The token's expiry (ms since the epoch): the session ends with it. */
        expires_at: count(),
        /** The node holding the sockets, and the token the session was opened with. */
        node: Type.String({ minLength: 1, maxLength: 255 }),
        token_id: Type.String({ minLength: 1, maxLength: 36 }),
      },
      { additionalProperties: false },
    ),
  },
  /**
   * Ends the session: its sockets are closed through the node's registry if they are still open, and the row says
   * how it ended and the bytes relayed (the sockets' counts, else the payload's, sent by the registry once they closed).
   */
  close: {
    durable: true,
    payload: Type.Object(
      {
        reason: Type.String({ minLength: 1, maxLength: 64 }),
        bytes_to_guest: Type.Optional(count()),
        bytes_to_client: Type.Optional(count()),
      },
      { additionalProperties: false },
    ),
  },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
