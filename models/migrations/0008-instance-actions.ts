import { DataTypes, type QueryInterface } from 'sequelize';
import { actions, events } from '../instance-action.js';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// Power actions and locks: the history of what was done to each server, and who locked it.
const specs: TableSpec[] = [actions, events];

const added: AddedColumn[] = [
  ['instances', 'locked_by', { type: DataTypes.STRING(16), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, specs);
}
