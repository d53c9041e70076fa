import type { ModelAttributes, QueryInterface } from 'sequelize';

export interface TableSpec {
  table: string;
  attributes: ModelAttributes;
  indexes?: Array<{ fields: string[]; unique?: boolean }>;
}

export async function createTables(qi: QueryInterface, specs: TableSpec[]): Promise<void> {
  for (const spec of specs) {
    await qi.createTable(spec.table, spec.attributes);
    for (const index of spec.indexes ?? []) await qi.addIndex(spec.table, index.fields, { unique: index.unique ?? false });
  }
}

export async function dropTables(qi: QueryInterface, specs: TableSpec[]): Promise<void> {
  for (const spec of [...specs].reverse()) await qi.dropTable(spec.table);
}
