import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const onPostgres = (): boolean => (process.env.DATABASE_URL ?? '').startsWith('postgres');

/**
 * The suites that drive Debian's Python clients check the wire format, which the database under it does not change, and
 * each client command costs an interpreter start: each such suite runs in one pass of CI, half of them in each, as the
 * real-guest suites run in the SQLite pass and the cluster suites in the PostgreSQL one.
 */
export const clientsPass = (pass: 'sqlite' | 'postgres'): boolean => (pass === 'postgres') === onPostgres();

export interface TestDatabase {
  readonly url: string;
  readonly label: string;
  drop(): Promise<void>;
}

/**
 * A database of the test file's own: a fresh PostgreSQL database on the server named by
 * DATABASE_URL, or a SQLite file in a temporary folder (the embedded default).
 */
export async function createTestDatabase(name: string): Promise<TestDatabase> {
  if (onPostgres()) {
    const admin = new URL(process.env.DATABASE_URL!);
    const database = `stratus_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${database}`));
    const url = new URL(admin);
    url.pathname = `/${database}`;
    return {
      url: url.toString(),
      label: 'postgres',
      drop: () => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).then(() => undefined),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `stratus-${name}-`));
  return {
    url: `sqlite:${join(dir, 'test.sqlite')}`,
    label: 'sqlite',
    drop: () =>
      new Promise<void>((resolve) => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      }),
  };
}

async function withClient<T>(url: URL, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
