import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Each node's data-plane actor keeps what its reconciles did. Frozen: as this migration made it.
const specs: TableSpec[] = [
  {
    table: 'dataplanes',
    attributes: {
      name: { type: DataTypes.STRING(255), primaryKey: true },
      reconciles: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      plan_hash: { type: DataTypes.STRING(64), allowNull: true },
      last_reconciled_at: { type: DataTypes.DATE, allowNull: true },
      last_error: { type: DataTypes.STRING(1024), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
