import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// The Networking API's security groups, their rules, and each project's default group. Frozen: as this migration made them.
const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });
const int = (allowNull = false) => ({ type: DataTypes.INTEGER, allowNull });
const times = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

const specs: TableSpec[] = [
  {
    table: 'neutron_security_groups',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      name: str(255),
      description: str(255),
      stateful: { type: DataTypes.BOOLEAN, allowNull: false },
      revision_number: int(),
      ...times,
    },
    indexes: [{ fields: ['project_id'] }],
  },
  {
    table: 'neutron_security_group_rules',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      project_id: str(255),
      security_group_id: str(36),
      direction: str(16),
      ethertype: str(8),
      protocol: str(40, true),
      port_range_min: int(true),
      port_range_max: int(true),
      remote_ip_prefix: str(64, true),
      remote_group_id: str(36, true),
      description: str(255),
      revision_number: int(),
      ...times,
    },
    indexes: [{ fields: ['security_group_id'] }, { fields: ['project_id'] }],
  },
  {
    table: 'neutron_default_security_groups',
    attributes: {
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
      security_group_id: str(36),
    },
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
