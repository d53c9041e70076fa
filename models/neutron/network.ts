import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A Neutron network as the Networking API keeps it (lists are JSON text). */
export interface NeutronNetworkRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  status: string;
  shared: boolean;
  external: boolean;
  is_default: boolean;
  mtu: number;
  port_security_enabled: boolean;
  availability_zone_hints: string;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

export const table = 'neutron_networks';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  description: { type: DataTypes.STRING(255), allowNull: false },
  admin_state_up: { type: DataTypes.BOOLEAN, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  shared: { type: DataTypes.BOOLEAN, allowNull: false },
  external: { type: DataTypes.BOOLEAN, allowNull: false },
  is_default: { type: DataTypes.BOOLEAN, allowNull: false },
  mtu: { type: DataTypes.INTEGER, allowNull: false },
  port_security_enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  availability_zone_hints: { type: DataTypes.TEXT, allowNull: false },
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const indexes = [{ fields: ['project_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<NeutronNetworkRow>(sequelize, 'NeutronNetwork', attributes, { tableName: table, timestamps: false, indexes });

/** A project's limit on one kind of Networking resource (no row: the default). */
export interface NeutronQuotaRow {
  project_id: string;
  resource: string;
  limit: number;
}

export const quotaAttributes: ModelAttributes = {
  project_id: { type: DataTypes.STRING(255), primaryKey: true },
  resource: { type: DataTypes.STRING(64), primaryKey: true },
  limit: { type: DataTypes.INTEGER, allowNull: false },
};

export const defineQuotas = (sequelize: Sequelize) =>
  defineRow<NeutronQuotaRow>(sequelize, 'NeutronQuota', quotaAttributes, { tableName: 'neutron_quotas', timestamps: false });
