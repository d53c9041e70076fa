import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A Neutron port; its addresses are rows of `neutron_ip_allocations`, its lists JSON text. */
export interface NeutronPortRow {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: boolean;
  binding_host_id: string;
  allowed_address_pairs: string;
  security_groups: string;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

/** One address held by one port: the primary key is the address in its subnet, so no address is held twice. */
export interface NeutronIpAllocationRow {
  subnet_id: string;
  ip_address: string;
  network_id: string;
  port_id: string;
}

export const table = 'neutron_ports';
export const allocationsTable = 'neutron_ip_allocations';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  network_id: { type: DataTypes.STRING(36), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  description: { type: DataTypes.STRING(255), allowNull: false },
  mac_address: { type: DataTypes.STRING(32), allowNull: false },
  admin_state_up: { type: DataTypes.BOOLEAN, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  device_id: { type: DataTypes.STRING(255), allowNull: false },
  device_owner: { type: DataTypes.STRING(255), allowNull: false },
  port_security_enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  binding_host_id: { type: DataTypes.STRING(255), allowNull: false },
  allowed_address_pairs: { type: DataTypes.TEXT, allowNull: false },
  security_groups: { type: DataTypes.TEXT, allowNull: false },
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const allocationAttributes: ModelAttributes = {
  subnet_id: { type: DataTypes.STRING(36), primaryKey: true },
  ip_address: { type: DataTypes.STRING(64), primaryKey: true },
  network_id: { type: DataTypes.STRING(36), allowNull: false },
  port_id: { type: DataTypes.STRING(36), allowNull: false },
};

// A MAC is unique within its network, as Neutron's (network_id, mac_address) constraint has it.
export const indexes = [{ fields: ['network_id', 'mac_address'], unique: true }, { fields: ['project_id'] }, { fields: ['device_id'] }];
export const allocationIndexes = [{ fields: ['port_id'] }, { fields: ['network_id'] }];

export const define = (sequelize: Sequelize) => ({
  NeutronPort: defineRow<NeutronPortRow>(sequelize, 'NeutronPort', attributes, { tableName: table, timestamps: false, indexes }),
  NeutronIpAllocation: defineRow<NeutronIpAllocationRow>(sequelize, 'NeutronIpAllocation', allocationAttributes, {
    tableName: allocationsTable,
    timestamps: false,
    indexes: allocationIndexes,
  }),
});
