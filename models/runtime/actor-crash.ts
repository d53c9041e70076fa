import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** The last few crashes of each actor, with reason and stack (bounded per actor by the runtime). */
export interface ActorCrashRow {
  seq?: number;
  kind: string;
  actor_id: string;
  reason: string;
  stack: string | null;
  message_type: string | null;
  message_id: string | null;
  at: Date;
}

export const table = 'actor_crashes';

export const attributes: ModelAttributes = {
  seq: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  kind: { type: DataTypes.STRING(32), allowNull: false },
  actor_id: { type: DataTypes.STRING(255), allowNull: false },
  reason: { type: DataTypes.TEXT, allowNull: false },
  stack: { type: DataTypes.TEXT, allowNull: true },
  message_type: { type: DataTypes.STRING(64), allowNull: true },
  message_id: { type: DataTypes.STRING(64), allowNull: true },
  at: { type: DataTypes.DATE, allowNull: false },
};

export const define = (sequelize: Sequelize) =>
  defineRow<ActorCrashRow>(sequelize, 'ActorCrash', attributes, { tableName: table, timestamps: false });
