import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** Durable messages the runtime gave up on, kept for an operator with the reason. */
export interface DeadLetterRow {
  id: string;
  to_kind: string;
  to_id: string;
  type: string;
  payload: string;
  reason: string;
  stack: string | null;
  attempts: number;
  correlation_id: string | null;
  created_at: Date;
}

export const table = 'dead_letters';

export const attributes: ModelAttributes = {
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
};

export const define = (sequelize: Sequelize) =>
  defineRow<DeadLetterRow>(sequelize, 'DeadLetter', attributes, { tableName: table, timestamps: false });
