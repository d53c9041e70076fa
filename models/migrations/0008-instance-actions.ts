import { DataTypes, type ModelAttributeColumnOptions, type QueryInterface } from 'sequelize';
import { actions, events } from '../instance-action.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Power actions and locks: the history of what was done to each server, and who locked it.
const specs: TableSpec[] = [actions, events];

// 0002 creates the instances table from the live model, so on a new database the column exists already.
const added: Array<[string, string, ModelAttributeColumnOptions]> = [
  ['instances', 'locked_by', { type: DataTypes.STRING(16), allowNull: true }],
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
