import type { ModelAttributeColumnOptions, ModelAttributes, QueryInterface } from 'sequelize';

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

/** A column a later migration adds to an existing table. */
export type AddedColumn = [table: string, column: string, spec: ModelAttributeColumnOptions];

/**
 * Adds the columns a table lacks. Before the migrations were frozen, 0002 created its tables from the live
 * model definitions, so databases made then already hold columns that later migrations add.
 */
export async function addColumnsIfMissing(qi: QueryInterface, columns: readonly AddedColumn[]): Promise<void> {
  const described = new Map<string, object>();
  for (const [table, column, spec] of columns) {
    if (!described.has(table)) described.set(table, await qi.describeTable(table));
    if (!(column in described.get(table)!)) await qi.addColumn(table, column, spec);
  }
}

export async function removeColumns(qi: QueryInterface, columns: readonly AddedColumn[]): Promise<void> {
  for (const [table, column] of columns) await qi.removeColumn(table, column);
}
