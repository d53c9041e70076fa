import type { Sequelize } from 'sequelize';

/** A table as the database itself describes it: columns by name, indexes by what they cover. */
export interface TableSchema {
  columns: Record<string, { type: string; nullable: boolean; default: string | null; primaryKey: boolean }>;
  indexes: string[];
}

/**
 * The schema of every table, read from the database's own catalogue (SQLite's pragmas, PostgreSQL's
 * information_schema and pg_indexes), so two databases made by different paths can be compared.
 */
export async function describeSchema(sequelize: Sequelize): Promise<Record<string, TableSchema>> {
  return sequelize.getDialect() === 'postgres' ? describePostgres(sequelize) : describeSqlite(sequelize);
}

async function rows<T>(sequelize: Sequelize, sql: string, replacements: unknown[] = []): Promise<T[]> {
  const [result] = await sequelize.query(sql, { replacements });
  return result as T[];
}

async function describeSqlite(sequelize: Sequelize): Promise<Record<string, TableSchema>> {
  const schema: Record<string, TableSchema> = {};
  const tables = await rows<{ name: string }>(
    sequelize,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name } of tables) {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    const columns: TableSchema['columns'] = {};
    for (const c of await rows<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(
      sequelize,
      `PRAGMA table_info(${quoted})`,
    )) {
      columns[c.name] = { type: c.type.toUpperCase(), nullable: c.notnull === 0 && c.pk === 0, default: c.dflt_value, primaryKey: c.pk > 0 };
    }
    const indexes: string[] = [];
    for (const i of await rows<{ name: string; unique: number; origin: string; partial: number }>(sequelize, `PRAGMA index_list(${quoted})`)) {
      const cols = (await rows<{ seqno: number; name: string }>(sequelize, `PRAGMA index_info("${i.name.replace(/"/g, '""')}")`))
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => c.name);
      const sql = i.partial
        ? (await rows<{ sql: string }>(sequelize, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [i.name]))[0]?.sql
        : undefined;
      const where = sql ? ` WHERE ${sql.replace(/^[\s\S]*?\bWHERE\b/i, '').trim()}` : '';
      // Indexes SQLite makes for a key or a unique column are named by position: they are known by what they cover.
      const label = i.origin === 'c' ? `${i.name} ` : '';
      indexes.push(`${label}${i.unique ? 'unique ' : ''}(${cols.join(', ')})${where}`);
    }
    schema[name] = { columns, indexes: indexes.sort() };
  }
  return schema;
}

async function describePostgres(sequelize: Sequelize): Promise<Record<string, TableSchema>> {
  const schema: Record<string, TableSchema> = {};
  const columns = await rows<{
    table_name: string;
    column_name: string;
    data_type: string;
    character_maximum_length: number | null;
    is_nullable: string;
    column_default: string | null;
  }>(
    sequelize,
    "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'",
  );
  const keys = await rows<{ table_name: string; column_name: string }>(
    sequelize,
    `SELECT k.table_name, k.column_name FROM information_schema.table_constraints c
    JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
    WHERE c.table_schema = 'public' AND c.constraint_type = 'PRIMARY KEY'`,
  );
  const primary = new Set(keys.map((k) => `${k.table_name}.${k.column_name}`));
  for (const c of columns) {
    const table = (schema[c.table_name] ??= { columns: {}, indexes: [] });
    table.columns[c.column_name] = {
      type: c.character_maximum_length ? `${c.data_type}(${c.character_maximum_length})` : c.data_type,
      nullable: c.is_nullable === 'YES',
      default: c.column_default,
      primaryKey: primary.has(`${c.table_name}.${c.column_name}`),
    };
  }
  for (const i of await rows<{ tablename: string; indexname: string; indexdef: string }>(
    sequelize,
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
  )) {
    schema[i.tablename]?.indexes.push(i.indexdef);
  }
  for (const table of Object.values(schema)) table.indexes.sort();
  return schema;
}

/** The differences between two schemas, one line each (empty when they agree). */
export function schemaDifferences(actual: Record<string, TableSchema>, expected: Record<string, TableSchema>): string[] {
  const out: string[] = [];
  for (const table of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    const a = actual[table];
    const e = expected[table];
    if (!a || !e) {
      out.push(`table ${table}: ${a ? 'unexpected' : 'missing'}`);
      continue;
    }
    for (const column of new Set([...Object.keys(a.columns), ...Object.keys(e.columns)])) {
      const [ca, ce] = [a.columns[column], e.columns[column]];
      if (JSON.stringify(ca) !== JSON.stringify(ce))
        out.push(`${table}.${column}: ${JSON.stringify(ca) ?? 'missing'} where expected ${JSON.stringify(ce) ?? 'none'}`);
    }
    for (const index of a.indexes.filter((i) => !e.indexes.includes(i))) out.push(`${table}: unexpected index ${index}`);
    for (const index of e.indexes.filter((i) => !a.indexes.includes(i))) out.push(`${table}: missing index ${index}`);
  }
  return out;
}
