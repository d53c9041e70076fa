import type { ModelAttributeColumnOptions, QueryInterface } from 'sequelize';
import { serverFields } from '../instance.js';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

const added = (): AddedColumn[] =>
  Object.entries(serverFields()).map(([column, spec]) => ['instances', column, spec as ModelAttributeColumnOptions]);

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added());
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added());
}
