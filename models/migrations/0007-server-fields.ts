import type { ModelAttributeColumnOptions, QueryInterface } from 'sequelize';
import { serverFields } from '../instance.js';

// 0002 creates its tables from the live model definitions, so on a new database these columns exist already.
export async function up(qi: QueryInterface): Promise<void> {
  const existing = await qi.describeTable('instances');
  for (const [column, spec] of Object.entries(serverFields())) {
    if (!(column in existing)) await qi.addColumn('instances', column, spec as ModelAttributeColumnOptions);
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const column of Object.keys(serverFields())) await qi.removeColumn('instances', column);
}
