import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Sequelize } from 'sequelize';
import { defineModels, type Models } from './index.js';
import { migrate } from './migrate.js';

export interface Database {
  readonly sequelize: Sequelize;
  readonly models: Models;
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

/**
 * A transaction left open this long between its statements is ended by PostgreSQL. Stratus's transactions run
 * their statements back to back, so only a paused or partitioned process holds one this long, and its row locks
 * must not stop the nodes taking its actors over (its commit is refused by the epochs anyway).
 */
export const IDLE_IN_TRANSACTION_MS = 5_000;

/**
 * How SQLite makes a commit durable in WAL mode. `full` syncs the log to disk at every commit: a committed
 * transaction survives a power loss. `normal` syncs it only at checkpoints: a commit has been written to the
 * operating system when it returns, so it survives the process's kill -9 (the database is never corrupted either
 * way), but the last commits may be lost if the machine itself loses power or crashes.
 */
export type SqliteSynchronous = 'normal' | 'full';

/**
 * Opens `postgres://…` or a SQLite file, defines the models and runs pending migrations.
 * SQLite runs in WAL mode with a busy timeout so readers never block the writer.
 */
export async function openDatabase(
  url: string,
  options: { migrate?: boolean; pool?: number; sqliteSynchronous?: SqliteSynchronous } = {},
): Promise<Database> {
  const sequelize = url.startsWith('postgres')
    ? new Sequelize(url, {
        logging: false,
        pool: { max: options.pool ?? 5, min: 0, idle: 10_000 },
        dialectOptions: { idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS },
      })
    : openSqlite(url, options.sqliteSynchronous ?? 'full');
  const dialect = sequelize.getDialect() as 'sqlite' | 'postgres';
  if (dialect === 'sqlite') await sequelize.query('PRAGMA journal_mode=WAL');
  const models = defineModels(sequelize);
  if (options.migrate !== false) await migrate(sequelize);
  return { sequelize, models, dialect, close: () => sequelize.close() };
}

function openSqlite(url: string, synchronous: SqliteSynchronous): Sequelize {
  const storage = url.replace(/^sqlite:(\/\/)?/, '');
  if (storage !== ':memory:') mkdirSync(dirname(storage), { recursive: true });
  const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false });
  // Sequelize opens a SQLite connection per transaction and sets no busy timeout,
  // so a second writer (another node on the same file) would fail at once instead of waiting.
  // Sequelize's typings leave the connection manager's pool internals out; these are the parts used.
  const manager = sequelize.connectionManager as unknown as SqliteManager;
  const getConnection = manager.getConnection.bind(manager);
  const releaseConnection = manager.releaseConnection.bind(manager);
  // Sequelize opens a new SQLite connection for every transaction and closes it after: a file
  // open, a schema read and pragmas each time. Connections are kept and reused instead.
  const idle: SqliteConnection[] = [];
  manager.getConnection = async (o: { uuid?: string }) => {
    const transactionId = o?.uuid && o.uuid !== 'default' ? o.uuid : undefined;
    const reused = transactionId ? idle.pop() : undefined;
    if (reused) {
      manager.connections[transactionId!] = reused;
      return reused;
    }
    const connection = await getConnection(o);
    if (!connection.stratusConfigured) {
      connection.configure('busyTimeout', 30_000);
      // A connection's own setting, not the file's: set on each before it is used.
      await new Promise<void>((resolve, reject) =>
        connection.exec(`PRAGMA synchronous=${synchronous.toUpperCase()}`, (e) => (e ? reject(e) : resolve())),
      );
      connection.stratusConfigured = true;
    }
    return connection;
  };
  manager.releaseConnection = (connection: SqliteConnection, force?: boolean) => {
    if (connection.uuid && force !== true && idle.length < 8) {
      delete manager.connections[connection.uuid];
      connection.uuid = undefined;
      idle.push(connection);
      return;
    }
    releaseConnection(connection, force);
  };
  const close = sequelize.close.bind(sequelize);
  sequelize.close = async () => {
    for (const connection of idle.splice(0)) releaseConnection(Object.assign(connection, { uuid: 'idle' }), true);
    return close();
  };
  return sequelize;
}

interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void;
  exec(sql: string, done: (error: Error | null) => void): void;
  stratusConfigured?: boolean;
  uuid?: string;
}
interface SqliteManager {
  connections: Record<string, SqliteConnection>;
  getConnection(o: { uuid?: string }): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection, force?: boolean): void;
}
