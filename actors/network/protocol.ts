import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const octet = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
export const IPV4_CIDR = `^(${octet}\\.){3}${octet}/(3[0-2]|[12]?[0-9])$`;

// Neutron allows an empty network name.
const name = () => Type.String({ maxLength: 255 });
const empty = () => Type.Object({}, { additionalProperties: false });

export const networkProtocol = defineProtocol('network', {
  create: {
    durable: true,
    payload: Type.Object(
      {
        project_id: Type.String({ minLength: 1, maxLength: 255 }),
        name: name(),
        cidr: Type.String({ maxLength: 18, pattern: IPV4_CIDR }),
      },
      { additionalProperties: false },
    ),
  },
  rename: { durable: true, payload: Type.Object({ name: name() }, { additionalProperties: false }) },
  delete: { durable: true, payload: empty() },
  get: { durable: false, payload: empty() },
});
