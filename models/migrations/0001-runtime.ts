import type { QueryInterface } from 'sequelize';
import * as actorRecord from '../runtime/actor-record.js';
import * as outbox from '../runtime/outbox.js';
import * as inbox from '../runtime/inbox.js';
import * as deadLetter from '../runtime/dead-letter.js';
import * as actorCrash from '../runtime/actor-crash.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// The first migration creates tables from the models as they first shipped; a later change
// to a model's columns needs a migration of its own.
const specs: TableSpec[] = [
  actorRecord,
  { ...outbox, indexes: [{ fields: ['to_kind', 'to_id'] }] },
  { ...inbox, indexes: [{ fields: ['handled_at'] }] },
  { ...deadLetter, indexes: [{ fields: ['to_kind', 'to_id'] }] },
  { ...actorCrash, indexes: [{ fields: ['kind', 'actor_id'] }] },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
