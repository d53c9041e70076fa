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

/** One user's own limit within a project (Nova's project_user_quotas), overriding the project's. */
export interface UserQuotaRow {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

export const userTable = 'project_user_quotas';

export const userAttributes: ModelAttributes = {
  project_id: { type: DataTypes.STRING(255), primaryKey: true },
  user_id: { type: DataTypes.STRING(255), primaryKey: true },
  resource: { type: DataTypes.STRING(64), primaryKey: true },
  hard_limit: { type: DataTypes.INTEGER, allowNull: false },
};

export const defineUserQuotas = (sequelize: Sequelize) =>
  defineRow<UserQuotaRow>(sequelize, 'UserQuota', userAttributes, { tableName: userTable, timestamps: false });

/** A quota class's limit for one resource (Nova's quota_classes); the `default` class is every project's default. */
export interface QuotaClassRow {
  class_name: string;
  resource: string;
  hard_limit: number;
}

export const classTable = 'quota_classes';

export const classAttributes: ModelAttributes = {
  class_name: { type: DataTypes.STRING(255), primaryKey: true },
  resource: { type: DataTypes.STRING(64), primaryKey: true },
  hard_limit: { type: DataTypes.INTEGER, allowNull: false },
};

export const defineClasses = (sequelize: Sequelize) =>
  defineRow<QuotaClassRow>(sequelize, 'QuotaClass', classAttributes, { tableName: classTable, timestamps: false });
