import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Multi-row statements written as SQL text, so a group commit sends all its writes to the
 * database in one call instead of one call (and one event-loop turn) per statement.
 * Values are written as literals, as Sequelize's own bulk inserts write them.
 */
export class SqlScript {
  private readonly statements: string[] = [];

  constructor(private readonly dialect: Dialect) {}

  get empty(): boolean {
    return this.statements.length === 0;
  }

  /** Inserts rows, or updates `columns` of those whose `key` exists. */
  upsert(table: string, key: string, columns: readonly string[], rows: readonly object[], defaults: Readonly<Record<string, unknown>> = {}): void {
    if (!rows.length) return;
    const all = [key, ...columns];
    const updates = columns.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ');
    const conflict = updates ? `DO UPDATE SET ${updates}` : 'DO NOTHING';
    this.statements.push(
      `INSERT INTO ${q(table)} (${all.map(q).join(', ')}) VALUES ${this.tuples(all, rows, defaults)} ON CONFLICT (${q(key)}) ${conflict}`,
    );
  }

  insert(table: string, columns: readonly string[], rows: readonly object[], options: { ignoreDuplicates?: boolean } = {}): void {
    if (!rows.length) return;
    const ignore = options.ignoreDuplicates ? ' ON CONFLICT DO NOTHING' : '';
    this.statements.push(`INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${this.tuples(columns, rows, {})}${ignore}`);
  }

  /**
   * A statement that fails the script unless `condition` (SQL) holds. Neither dialect raises an error from plain
   * SQL outside a trigger or a function, but both refuse to read a word as a number or as JSON: the CASE's condition
   * reads tables, so neither evaluates its branches ahead of it.
   */
  require(condition: string): void {
    this.statements.push(
      this.dialect === 'postgres'
        ? `SELECT CAST(CASE WHEN ${condition} THEN '1' ELSE 'refused' END AS integer)`
        : `SELECT json(CASE WHEN ${condition} THEN '1' ELSE 'refused' END)`,
    );
  }

  deleteWhereIn(table: string, column: string, values: readonly unknown[]): void {
    if (!values.length) return;
    this.statements.push(`DELETE FROM ${q(table)} WHERE ${q(column)} IN (${values.map((v) => this.literal(v)).join(', ')})`);
  }

  /** Runs every statement in the transaction in one round trip. */
  async run(sequelize: Sequelize, transaction: Transaction): Promise<void> {
    if (this.empty) return;
    const sql = this.statements.join(';\n');
    if (this.dialect === 'postgres') {
      await sequelize.query(sql, { transaction, raw: true });
      return;
    }
    // Sequelize's SQLite query runs one statement; the connection's exec runs a script.
    await new Promise<void>((resolve, reject) => sqliteOf(transaction).exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Runs every statement as one transaction of its own in one round trip: all of them apply, or (a statement
   * failed) none. SQLite runs it on `connection`, which no one else may use meanwhile.
   */
  async runAlone(sequelize: Sequelize, connection?: SqliteConnection): Promise<void> {
    if (this.empty) return;
    const sql = this.statements.join(';\n');
    if (this.dialect === 'postgres') {
      // Statements sent together in one simple query are one implicit transaction.
      await sequelize.query(sql, { raw: true });
      return;
    }
    if (!connection) throw new Error('a SQLite script runs alone on a connection of its own');
    // The write lock up front, as the store's transactions take it (another node may write the same file).
    const failed = await execOn(connection, `BEGIN IMMEDIATE;\n${sql};\nCOMMIT`);
    if (!failed) return;
    // exec stops at the failed statement with the transaction still open.
    await execOn(connection, 'ROLLBACK');
    throw failed;
  }

  /** One statement's rows (an INSERT … RETURNING too, which Sequelize's SQLite query would run without reading). */
  static async rows<T extends object>(dialect: Dialect, sequelize: Sequelize, transaction: Transaction, sql: string): Promise<T[]> {
    if (dialect === 'postgres') return sequelize.query<T>(sql, { transaction, type: QueryTypes.SELECT });
    return new Promise<T[]>((resolve, reject) => sqliteOf(transaction).all(sql, (error, rows) => (error ? reject(error) : resolve(rows as T[]))));
  }

  private tuples(columns: readonly string[], rows: readonly object[], defaults: Readonly<Record<string, unknown>>): string {
    return rows
      .map((row) => {
        const r = row as Record<string, unknown>;
        return `(${columns.map((c) => this.literal(r[c] === undefined ? defaults[c] : r[c])).join(', ')})`;
      })
      .join(', ');
  }

  literal(value: unknown): string {
    return sqlLiteral(this.dialect, value);
  }
}

export interface SqliteConnection {
  exec(sql: string, done: (error: Error | null) => void): void;
  all(sql: string, done: (error: Error | null, rows: unknown[]) => void): void;
}

const execOn = (connection: SqliteConnection, sql: string) => new Promise<Error | null>((resolve) => connection.exec(sql, resolve));
// Sequelize's typings do not expose a transaction's driver connection, which it does hold.
const sqliteOf = (transaction: Transaction) => (transaction as unknown as { connection: SqliteConnection }).connection;

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

function quoteText(text: string, dialect: Dialect): string {
  const body = `'${text.replace(/'/g, "''")}'`;
  if (!text.includes('\0')) return body;
  // PostgreSQL text cannot hold NUL: Sequelize writes it as the two characters \0, and so does this.
  // SQLite would end the script at it: it is spliced in as char(0).
  return dialect === 'postgres' ? body.replace(/\0/g, '\\0') : `(${body.split('\0').join("' || char(0) || '")})`;
}

/** A value as a SQL literal of the dialect. */
export function sqlLiteral(dialect: Dialect, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot store ${value}`);
      return String(value);
    case 'boolean':
      return dialect === 'sqlite' ? (value ? '1' : '0') : value ? 'TRUE' : 'FALSE';
    case 'string':
      return quoteText(value, dialect);
    default:
      // Dates in the form Sequelize writes them, so rows read the same whoever wrote them.
      if (value instanceof Date) return `'${value.toISOString().replace('T', ' ').replace('Z', ' +00:00')}'`;
      throw new Error(`cannot store a value of type ${typeof value}`);
  }
}
