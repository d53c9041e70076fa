import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// Power actions and locks: the history of what was done to each server, and who locked it.
// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'instance_actions',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      action: { type: DataTypes.STRING(255), allowNull: true },
      instance_uuid: { type: DataTypes.STRING(36), allowNull: true },
      request_id: { type: DataTypes.STRING(255), allowNull: true },
      user_id: { type: DataTypes.STRING(255), allowNull: true },
      project_id: { type: DataTypes.STRING(255), allowNull: true },
      start_time: { type: DataTypes.DATE, allowNull: true },
      finish_time: { type: DataTypes.DATE, allowNull: true },
      message: { type: DataTypes.STRING(255), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: true },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['instance_uuid', 'updated_at'] }, { fields: ['request_id'] }],
  },
  {
    table: 'instance_action_events',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      action_id: { type: DataTypes.STRING(64), allowNull: true },
      event: { type: DataTypes.STRING(255), allowNull: true },
      start_time: { type: DataTypes.DATE, allowNull: true },
      finish_time: { type: DataTypes.DATE, allowNull: true },
      result: { type: DataTypes.STRING(255), allowNull: true },
      traceback: { type: DataTypes.TEXT, allowNull: true },
      host: { type: DataTypes.STRING(255), allowNull: true },
      details: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: true },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['action_id'] }],
  },
];

const added: AddedColumn[] = [['instances', 'locked_by', { type: DataTypes.STRING(16), allowNull: true }]];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, specs);
}
