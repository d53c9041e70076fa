import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';
import { defineRow } from './typed.js';

export interface NetworkRow {
  uuid: string;
  project_id: string;
  name: string;
  cidr: string;
  status: string;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const table = 'networks';

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  cidr: { type: DataTypes.STRING(64), allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  failure_reason: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
  ...softDelete,
};

export const indexes = [{ fields: ['project_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<NetworkRow>(sequelize, 'Network', attributes, { tableName: table, timestamps: false, indexes });
