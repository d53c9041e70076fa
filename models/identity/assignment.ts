import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** A role a user holds on a project, a domain or the system (target `all`). */
export interface AssignmentRow {
  user_id: string;
  target_type: 'project' | 'domain' | 'system';
  target_id: string;
  role_id: string;
}

export const table = 'identity_assignments';

export const attributes: ModelAttributes = {
  user_id: { type: DataTypes.STRING(64), primaryKey: true },
  target_type: { type: DataTypes.STRING(16), primaryKey: true },
  target_id: { type: DataTypes.STRING(64), primaryKey: true },
  role_id: { type: DataTypes.STRING(64), primaryKey: true },
};

export const indexes = [{ fields: ['target_type', 'target_id'] }, { fields: ['role_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<AssignmentRow>(sequelize, 'Assignment', attributes, { tableName: table, timestamps: false, indexes });
