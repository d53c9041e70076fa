import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const uuid = () => Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
/**
 * A row as the API decided it (attributes checked, ids and timestamps chosen there, so a redelivered message writes
 * the same row): its id and project are checked here, the rest by the table's own constraints.
 */
export const rowOf = () => Type.Object({ id: uuid(), project_id: Type.String({ maxLength: 255 }) }, { additionalProperties: true });
const changes = () => Type.Record(Type.String({ maxLength: 64 }), Type.Unknown());
const empty = () => Type.Object({}, { additionalProperties: false });

/** A network's lifecycle and its subnets: each change is one message its actor handles, one at a time. */
export const networkProtocol = defineProtocol('network', {
  create: { durable: true, payload: Type.Object({ row: rowOf() }, { additionalProperties: false }) },
  update: { durable: true, payload: Type.Object({ changes: changes() }, { additionalProperties: false }) },
  delete: { durable: true, payload: empty() },
  createSubnet: { durable: true, payload: Type.Object({ row: rowOf() }, { additionalProperties: false }) },
  updateSubnet: { durable: true, payload: Type.Object({ id: uuid(), changes: changes() }, { additionalProperties: false }) },
  deleteSubnet: { durable: true, payload: Type.Object({ id: uuid() }, { additionalProperties: false }) },
  get: { durable: false, payload: empty() },
});
