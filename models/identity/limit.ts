import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** Keystone's unified limits: a default per service and resource, registered by the operator. */
export interface RegisteredLimitRow {
  id: string;
  service_id: string;
  region_id: string | null;
  resource_name: string;
  default_limit: number;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A project's (or domain's) own limit on a registered resource. */
export interface LimitRow {
  id: string;
  project_id: string | null;
  domain_id: string | null;
  service_id: string;
  region_id: string | null;
  resource_name: string;
  resource_limit: number;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const registeredAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  service_id: { type: DataTypes.STRING(64), allowNull: false },
  region_id: { type: DataTypes.STRING(255), allowNull: true },
  resource_name: { type: DataTypes.STRING(255), allowNull: false },
  default_limit: { type: DataTypes.INTEGER, allowNull: false },
  description: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
};
const limitAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  project_id: { type: DataTypes.STRING(64), allowNull: true },
  domain_id: { type: DataTypes.STRING(64), allowNull: true },
  service_id: { type: DataTypes.STRING(64), allowNull: false },
  region_id: { type: DataTypes.STRING(255), allowNull: true },
  resource_name: { type: DataTypes.STRING(255), allowNull: false },
  resource_limit: { type: DataTypes.INTEGER, allowNull: false },
  description: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
};

export const defineRegistered = (sequelize: Sequelize) =>
  defineRow<RegisteredLimitRow>(sequelize, 'RegisteredLimit', registeredAttributes, {
    tableName: 'identity_registered_limits',
    timestamps: false,
    indexes: [{ fields: ['service_id', 'resource_name'] }],
  });
export const define = (sequelize: Sequelize) =>
  defineRow<LimitRow>(sequelize, 'Limit', limitAttributes, {
    tableName: 'identity_limits',
    timestamps: false,
    indexes: [{ fields: ['project_id'] }, { fields: ['domain_id'] }],
  });
