import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// The Networking API's routers and floating IPs (API and rows; no data plane yet). Frozen: as this migration made them.
const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });
const times = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

const specs: TableSpec[] = [
  {
    table: 'neutron_routers',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      name: str(255),
      description: str(255),
      admin_state_up: { type: DataTypes.BOOLEAN, allowNull: false },
      status: str(16),
      gateway_network_id: str(36, true),
      gateway_port_id: str(36, true),
      enable_snat: { type: DataTypes.BOOLEAN, allowNull: false },
      revision_number: { type: DataTypes.INTEGER, allowNull: false },
      ...times,
    },
    indexes: [{ fields: ['project_id'] }],
  },
  {
    table: 'neutron_floating_ips',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      floating_network_id: str(36),
      floating_ip_address: str(64),
      floating_port_id: str(36),
      port_id: str(36, true),
      fixed_ip_address: str(64, true),
      router_id: str(36, true),
      status: str(16),
      description: str(255),
      revision_number: { type: DataTypes.INTEGER, allowNull: false },
      ...times,
    },
    indexes: [{ fields: ['project_id'] }, { fields: ['port_id'] }, { fields: ['floating_network_id'] }],
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
