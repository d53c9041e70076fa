import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// Quota classes (the `default` class is every project's default) and per-user limits within a project, as
// Nova keeps them (quota_classes, project_user_quotas); a boot's reservation names its user so per-user limits
// count it. Frozen: the tables and columns as this migration made them.
const limit = { type: DataTypes.INTEGER, allowNull: false };
const key = (length: number) => ({ type: DataTypes.STRING(length), primaryKey: true, allowNull: false });

const tables: TableSpec[] = [
  { table: 'quota_classes', attributes: { class_name: key(255), resource: key(64), hard_limit: limit } },
  { table: 'project_user_quotas', attributes: { project_id: key(255), user_id: key(255), resource: key(64), hard_limit: limit } },
];

const added: AddedColumn[] = [['quota_reservations', 'user_id', { type: DataTypes.STRING(255), allowNull: true }]];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, tables);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, tables);
}
