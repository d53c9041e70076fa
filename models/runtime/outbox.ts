import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** Durable messages accepted but not yet handled; a row leaves in the transaction that handles it. */
export interface OutboxRow {
  seq?: number;
  id: string;
  to_kind: string;
  to_id: string;
  type: string;
  payload: string;
  from_kind: string | null;
  from_id: string | null;
  reply_node: string | null;
  request_id: string | null;
  correlation_id: string | null;
  created_at: Date;
  /** When a delayed message is due; null: as soon as it is sent. */
  deliver_at: Date | null;
}

export const table = 'actor_outbox';

export const attributes: ModelAttributes = {
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
  deliver_at: { type: DataTypes.DATE, allowNull: true },
};

export const define = (sequelize: Sequelize) => defineRow<OutboxRow>(sequelize, 'Outbox', attributes, { tableName: table, timestamps: false });
