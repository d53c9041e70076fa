import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface DomainRow {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export const table = 'identity_domains';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => defineRow<DomainRow>(sequelize, 'Domain', attributes, { tableName: table, timestamps: false });
