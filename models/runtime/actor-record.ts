import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** One row per actor ever activated: its fencing epoch and whether an operator must restart it. */
export interface ActorRecordRow {
  kind: string;
  id: string;
  epoch: number;
  status: 'ok' | 'failed';
  failure_reason: string | null;
  failed_at: Date | null;
  node: string | null;
  updated_at: Date;
}

export const table = 'actor_records';

export const attributes: ModelAttributes = {
  kind: { type: DataTypes.STRING(32), primaryKey: true },
  id: { type: DataTypes.STRING(255), primaryKey: true },
  epoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'ok' },
  failure_reason: { type: DataTypes.TEXT, allowNull: true },
  failed_at: { type: DataTypes.DATE, allowNull: true },
  node: { type: DataTypes.STRING(255), allowNull: true },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

export const define = (sequelize: Sequelize) =>
  defineRow<ActorRecordRow>(sequelize, 'ActorRecord', attributes, { tableName: table, timestamps: false });
