import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A Neutron subnet; allocation pools, DNS servers and host routes are JSON text. */
export interface NeutronSubnetRow {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: string;
  enable_dhcp: boolean;
  dns_nameservers: string;
  host_routes: string;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

export const table = 'neutron_subnets';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  network_id: { type: DataTypes.STRING(36), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  description: { type: DataTypes.STRING(255), allowNull: false },
  ip_version: { type: DataTypes.INTEGER, allowNull: false },
  cidr: { type: DataTypes.STRING(64), allowNull: false },
  gateway_ip: { type: DataTypes.STRING(64), allowNull: true },
  allocation_pools: { type: DataTypes.TEXT, allowNull: false },
  enable_dhcp: { type: DataTypes.BOOLEAN, allowNull: false },
  dns_nameservers: { type: DataTypes.TEXT, allowNull: false },
  host_routes: { type: DataTypes.TEXT, allowNull: false },
  ipv6_ra_mode: { type: DataTypes.STRING(16), allowNull: true },
  ipv6_address_mode: { type: DataTypes.STRING(16), allowNull: true },
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const indexes = [{ fields: ['network_id'] }, { fields: ['project_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<NeutronSubnetRow>(sequelize, 'NeutronSubnet', attributes, { tableName: table, timestamps: false, indexes });
