import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}
export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}

export const table = 'identity_roles';
export const impliedTable = 'identity_implied_roles';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
};

export const impliedAttributes: ModelAttributes = {
  prior_role_id: { type: DataTypes.STRING(64), primaryKey: true },
  implied_role_id: { type: DataTypes.STRING(64), primaryKey: true },
};

export const define = (sequelize: Sequelize) => defineRow<RoleRow>(sequelize, 'Role', attributes, { tableName: table, timestamps: false });
export const defineImplied = (sequelize: Sequelize) =>
  defineRow<ImpliedRoleRow>(sequelize, 'ImpliedRole', impliedAttributes, { tableName: impliedTable, timestamps: false });
