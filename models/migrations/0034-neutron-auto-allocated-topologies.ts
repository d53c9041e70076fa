import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Each project's auto-allocated topology (Neutron's "get me a network"): its network and router. Frozen: as this
// migration made it.
const specs: TableSpec[] = [
  {
    table: 'neutron_auto_allocated_topologies',
    attributes: {
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
      network_id: { type: DataTypes.STRING(36), allowNull: false },
      router_id: { type: DataTypes.STRING(36), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['network_id'] }],
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
