import { execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './cloud-process.js';
import { startServerProcess, stopServerProcess } from './server-process.js';

// A private PostgreSQL server per test, for tests that stop the database under running nodes: the machine's
// shared server (DATABASE_URL) must never be disturbed. Its own port, data directory and socket directory,
// trust authentication, no fsync (nothing here has to survive a crash of the machine). It can be stopped
// and started again on the same port and data directory.

export interface PostgresServer {
  readonly port: number;
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database. */
  readonly url: string;
  /** Creates a database and returns its url. */
  createDatabase(name: string): Promise<string>;
  /** A fast shutdown (SIGINT: sessions are ended, open transactions rolled back); waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again with the same data directory and port. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest installed server's binaries: Debian keeps each major version's under /usr/lib/postgresql. */
export function postgresBinaries(): string | undefined {
  if (process.env.POSTGRES_BIN) return process.env.POSTGRES_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user, which owns the directory. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('no PostgreSQL server binaries found (set POSTGRES_BIN)');
  const user = runAs();
  const command = (program: string, args: string[]): [string, string[]] =>
    user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', join(bin, program), ...args]] : [join(bin, program), args];
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(...command('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']), {
    stdio: 'pipe',
    cwd: dir,
  });

  let child: ChildProcess | undefined;
  const start = async () => {
    // setpriv execs the server in place, so the child is the postmaster itself and a signal to it reaches it.
    child = await startServerProcess(
      'postgres',
      command('postgres', [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'max_connections=100',
        '-c',
        'shared_buffers=32MB',
      ]),
      { cwd: dir },
      'database system is ready to accept connections',
      30_000,
    );
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    await stopServerProcess(proc, 'SIGINT');
  };
  await start();

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    dir,
    url,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
