import { DataTypes, type ModelAttributeColumnOptions, type QueryInterface } from 'sequelize';
import * as flavor from '../flavor.js';
import * as quota from '../quota.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [flavor, quota];

// 0002 creates its tables from the live model definitions, so on a new database these columns exist already.
const added: Array<[string, string, ModelAttributeColumnOptions]> = [
  ['instances', 'flavor_name', { type: DataTypes.STRING(255), allowNull: true }],
  ['hosts', 'boot_id', { type: DataTypes.STRING(64), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  for (const [table, column, spec] of added) {
    const existing = await qi.describeTable(table);
    if (!(column in existing)) await qi.addColumn(table, column, spec);
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const [table, column] of added) await qi.removeColumn(table, column);
  await dropTables(qi, specs);
}
