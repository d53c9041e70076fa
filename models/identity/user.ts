import { DataTypes, type ModelAttributes, type Optional, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  default_project_id: string | null;
  description: string | null;
  email: string | null;
  enabled: boolean;
  password_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'identity_users';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: false },
  domain_id: { type: DataTypes.STRING(64), allowNull: false },
  default_project_id: { type: DataTypes.STRING(64), allowNull: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  email: { type: DataTypes.STRING(255), allowNull: true },
  enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  // scrypt only; the password itself is never stored.
  password_hash: { type: DataTypes.STRING(255), allowNull: true },
  ...timestamps,
};

export const indexes = [{ fields: ['domain_id', 'name'], unique: true }];

export const define = (sequelize: Sequelize) =>
  defineRow<UserRow, Optional<UserRow, 'description'>>(sequelize, 'User', attributes, { tableName: table, timestamps: false, indexes });
