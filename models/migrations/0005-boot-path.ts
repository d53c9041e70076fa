import { DataTypes, type QueryInterface } from 'sequelize';
import * as flavor from '../flavor.js';
import * as quota from '../quota.js';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [flavor, quota];

const added: AddedColumn[] = [
  ['instances', 'flavor_name', { type: DataTypes.STRING(255), allowNull: true }],
  ['hosts', 'boot_id', { type: DataTypes.STRING(64), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, specs);
}
