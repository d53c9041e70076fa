import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Glance's interoperable image import: the tasks an import runs as (listed by /v2/tasks and /v2/images/{id}/tasks),
// with the node running each, so a restarted node resumes its own. Frozen: as this migration made it.
const specs: TableSpec[] = [
  {
    table: 'image_tasks',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      type: { type: DataTypes.STRING(30), allowNull: false },
      status: { type: DataTypes.STRING(30), allowNull: false },
      owner: { type: DataTypes.STRING(255), allowNull: false },
      user_id: { type: DataTypes.STRING(64), allowNull: true },
      request_id: { type: DataTypes.STRING(64), allowNull: true },
      image_id: { type: DataTypes.STRING(36), allowNull: true },
      input: { type: DataTypes.TEXT, allowNull: false },
      result: { type: DataTypes.TEXT, allowNull: true },
      message: { type: DataTypes.TEXT, allowNull: false },
      node_id: { type: DataTypes.STRING(255), allowNull: false },
      expires_at: { type: DataTypes.DATE, allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['image_id'] }, { fields: ['status'] }, { fields: ['owner'] }],
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
