import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';
import { rowOf } from '../network/protocol.js';

const uuid = () => Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
/** An external gateway as the API checked it: the network (external, visible to the caller), SNAT, asked-for addresses. */
export const Gateway = Type.Object(
  {
    network_id: uuid(),
    snat: Type.Boolean(),
    requests: Type.Optional(Type.Array(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()), { maxItems: 16 })),
  },
  { additionalProperties: false },
);
const changes = () => Type.Record(Type.String({ maxLength: 64 }), Type.Unknown());
const empty = () => Type.Object({}, { additionalProperties: false });
const iface = () =>
  Type.Union([
    Type.Object({ subnet_id: uuid() }, { additionalProperties: false }),
    Type.Object({ port_id: uuid() }, { additionalProperties: false }),
  ]);

/** A router's lifecycle, gateway and interfaces: each change one message its actor handles, one at a time. */
export const routerProtocol = defineProtocol('router', {
  create: { durable: true, payload: Type.Object({ row: rowOf(), gateway: Type.Union([Gateway, Type.Null()]) }, { additionalProperties: false }) },
  update: {
    durable: true,
    payload: Type.Object({ changes: changes(), gateway: Type.Optional(Type.Union([Gateway, Type.Null()])) }, { additionalProperties: false }),
  },
  delete: { durable: true, payload: empty() },
  addInterface: { durable: true, payload: iface() },
  removeInterface: { durable: true, payload: iface() },
  get: { durable: false, payload: empty() },
});
