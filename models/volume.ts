import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';
import { defineRow } from './typed.js';

export interface VolumeRow {
  uuid: string;
  project_id: string;
  name: string;
  size_gb: number;
  status: string;
  attached_to: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const table = 'volumes';

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  size_gb: { type: DataTypes.INTEGER, allowNull: false },
  status: { type: DataTypes.STRING(32), allowNull: false },
  attached_to: { type: DataTypes.STRING(36), allowNull: true },
  failure_reason: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
  ...softDelete,
};

export const indexes = [{ fields: ['project_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<VolumeRow>(sequelize, 'Volume', attributes, { tableName: table, timestamps: false, indexes });
