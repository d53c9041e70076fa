import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'actor_records',
    attributes: {
      kind: { type: DataTypes.STRING(32), primaryKey: true },
      id: { type: DataTypes.STRING(255), primaryKey: true },
      epoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'ok' },
      failure_reason: { type: DataTypes.TEXT, allowNull: true },
      failed_at: { type: DataTypes.DATE, allowNull: true },
      node: { type: DataTypes.STRING(255), allowNull: true },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'actor_outbox',
    attributes: {
      seq: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      id: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      to_kind: { type: DataTypes.STRING(32), allowNull: false },
      to_id: { type: DataTypes.STRING(255), allowNull: false },
      type: { type: DataTypes.STRING(64), allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      from_kind: { type: DataTypes.STRING(32), allowNull: true },
      from_id: { type: DataTypes.STRING(255), allowNull: true },
      reply_node: { type: DataTypes.STRING(255), allowNull: true },
      request_id: { type: DataTypes.STRING(64), allowNull: true },
      correlation_id: { type: DataTypes.STRING(64), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['to_kind', 'to_id'] }],
  },
  {
    table: 'actor_inbox',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      kind: { type: DataTypes.STRING(32), allowNull: false },
      actor_id: { type: DataTypes.STRING(255), allowNull: false },
      ok: { type: DataTypes.BOOLEAN, allowNull: false },
      reply: { type: DataTypes.TEXT, allowNull: true },
      handled_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['handled_at'] }],
  },
  {
    table: 'dead_letters',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      to_kind: { type: DataTypes.STRING(32), allowNull: false },
      to_id: { type: DataTypes.STRING(255), allowNull: false },
      type: { type: DataTypes.STRING(64), allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      stack: { type: DataTypes.TEXT, allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false },
      correlation_id: { type: DataTypes.STRING(64), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['to_kind', 'to_id'] }],
  },
  {
    table: 'actor_crashes',
    attributes: {
      seq: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      kind: { type: DataTypes.STRING(32), allowNull: false },
      actor_id: { type: DataTypes.STRING(255), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      stack: { type: DataTypes.TEXT, allowNull: true },
      message_type: { type: DataTypes.STRING(64), allowNull: true },
      message_id: { type: DataTypes.STRING(64), allowNull: true },
      at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['kind', 'actor_id'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
