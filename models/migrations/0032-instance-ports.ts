import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Which ports the compute service gave each server (Nova's network info cache, in short). Frozen: as this migration made them.
const specs: TableSpec[] = [
  {
    table: 'instance_ports',
    attributes: {
      port_id: { type: DataTypes.STRING(36), primaryKey: true },
      instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
      network_id: { type: DataTypes.STRING(36), allowNull: false },
      preserve_on_delete: { type: DataTypes.BOOLEAN, allowNull: false },
      tag: { type: DataTypes.STRING(60), allowNull: true },
      position: { type: DataTypes.INTEGER, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['instance_uuid'] }],
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
