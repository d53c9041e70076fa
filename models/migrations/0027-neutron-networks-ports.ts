import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// The Networking API's networks, subnets, ports, the addresses ports hold, and its quotas. Frozen: as this migration made them.
const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });
const bool = () => ({ type: DataTypes.BOOLEAN, allowNull: false });
const int = () => ({ type: DataTypes.INTEGER, allowNull: false });
const text = () => ({ type: DataTypes.TEXT, allowNull: false });
const times = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

const specs: TableSpec[] = [
  {
    table: 'neutron_networks',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      name: str(255),
      description: str(255),
      admin_state_up: bool(),
      status: str(16),
      shared: bool(),
      external: bool(),
      is_default: bool(),
      mtu: int(),
      port_security_enabled: bool(),
      availability_zone_hints: text(),
      revision_number: int(),
      ...times,
    },
    indexes: [{ fields: ['project_id'] }],
  },
  {
    table: 'neutron_subnets',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      network_id: str(36),
      name: str(255),
      description: str(255),
      ip_version: int(),
      cidr: str(64),
      gateway_ip: str(64, true),
      allocation_pools: text(),
      enable_dhcp: bool(),
      dns_nameservers: text(),
      host_routes: text(),
      ipv6_ra_mode: str(16, true),
      ipv6_address_mode: str(16, true),
      revision_number: int(),
      ...times,
    },
    indexes: [{ fields: ['network_id'] }, { fields: ['project_id'] }],
  },
  {
    table: 'neutron_ports',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      network_id: str(36),
      name: str(255),
      description: str(255),
      mac_address: str(32),
      admin_state_up: bool(),
      status: str(16),
      device_id: str(255),
      device_owner: str(255),
      port_security_enabled: bool(),
      binding_host_id: str(255),
      allowed_address_pairs: text(),
      security_groups: text(),
      revision_number: int(),
      ...times,
    },
    indexes: [{ fields: ['network_id', 'mac_address'], unique: true }, { fields: ['project_id'] }, { fields: ['device_id'] }],
  },
  {
    table: 'neutron_ip_allocations',
    attributes: {
      subnet_id: { type: DataTypes.STRING(36), primaryKey: true },
      ip_address: { type: DataTypes.STRING(64), primaryKey: true },
      network_id: str(36),
      port_id: str(36),
    },
    indexes: [{ fields: ['port_id'] }, { fields: ['network_id'] }],
  },
  {
    table: 'neutron_quotas',
    attributes: {
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
      resource: { type: DataTypes.STRING(64), primaryKey: true },
      limit: int(),
    },
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
