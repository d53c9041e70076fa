import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A console session: which VM display a token opens, and until when. */
export interface ConsoleRow {
  id: string;
  instance_uuid: string;
  protocol: string;
  console_type: string;
  host: string;
  port: number;
  status: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export const table = 'consoles';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
  protocol: { type: DataTypes.STRING(16), allowNull: false },
  console_type: { type: DataTypes.STRING(32), allowNull: false },
  host: { type: DataTypes.STRING(255), allowNull: false },
  port: { type: DataTypes.INTEGER, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  expires_at: { type: DataTypes.DATE, allowNull: false },
  ...timestamps,
};

export const indexes = [{ fields: ['instance_uuid'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<ConsoleRow>(sequelize, 'Console', attributes, { tableName: table, timestamps: false, indexes });
