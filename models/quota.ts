import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/** A project's own limit for one resource, overriding the configured default; -1 is unlimited. */
export interface QuotaRow {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export const table = 'quotas';

export const attributes: ModelAttributes = {
  project_id: { type: DataTypes.STRING(255), primaryKey: true },
  resource: { type: DataTypes.STRING(64), primaryKey: true },
  hard_limit: { type: DataTypes.INTEGER, allowNull: false },
};

export const define = (sequelize: Sequelize) => defineRow<QuotaRow>(sequelize, 'Quota', attributes, { tableName: table, timestamps: false });
