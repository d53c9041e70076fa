import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// Moving servers: Nova's migrations table (one row per resize, cold or live migration, evacuation), and on each
// instance the move under way (Nova's migration_context with the old and new flavor). Frozen: as this migration made them.
const str = (length: number) => ({ type: DataTypes.STRING(length), allowNull: true });
const int = () => ({ type: DataTypes.BIGINT, allowNull: true });
const specs: TableSpec[] = [
  {
    table: 'migrations',
    attributes: {
      uuid: { type: DataTypes.STRING(36), primaryKey: true },
      id: { type: DataTypes.BIGINT, allowNull: false, unique: true },
      instance_uuid: str(36),
      source_compute: str(255),
      dest_compute: str(255),
      source_node: str(255),
      dest_node: str(255),
      dest_host: str(255),
      old_instance_type_id: str(255),
      new_instance_type_id: str(255),
      status: str(255),
      migration_type: str(32),
      hidden: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      memory_total: int(),
      memory_processed: int(),
      memory_remaining: int(),
      disk_total: int(),
      disk_processed: int(),
      disk_remaining: int(),
      user_id: str(255),
      project_id: str(255),
      created_at: { type: DataTypes.DATE, allowNull: true },
      updated_at: { type: DataTypes.DATE, allowNull: false },
      deleted_at: { type: DataTypes.DATE, allowNull: true },
    },
    indexes: [{ fields: ['instance_uuid', 'status'] }, { fields: ['updated_at'] }],
  },
];

const added: AddedColumn[] = [['instances', 'migration_context', { type: DataTypes.TEXT, allowNull: true }]];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, specs);
}
