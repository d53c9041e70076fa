import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  parent_id: string | null;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export const table = 'identity_projects';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  name: { type: DataTypes.STRING(64), allowNull: false },
  domain_id: { type: DataTypes.STRING(64), allowNull: false },
  parent_id: { type: DataTypes.STRING(64), allowNull: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  ...timestamps,
};

// Names are unique within a domain, as in Keystone.
export const indexes = [{ fields: ['domain_id', 'name'], unique: true }];

export const define = (sequelize: Sequelize) =>
  defineRow<ProjectRow>(sequelize, 'Project', attributes, { tableName: table, timestamps: false, indexes });
