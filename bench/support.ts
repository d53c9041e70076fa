import { QueryTypes, Sequelize } from 'sequelize';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { freePort } from '../test/helpers/cloud-process.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, client } from '../test/helpers/identity.js';
import { stopSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import type { LifecycleEvent } from '../drivers/libvirt/virt.js';
import { until } from './report.js';
import { postgresDatabase } from './runtime/support.js';

// What the benchmarks that drive a whole cloud share: the compiled cloud in a process of its own,
// the hypervisors it started, bounded concurrency and the resident memory of the lot.

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `work(0…count-1)`, at most `concurrency` at a time; the results in index order. */
export async function inBatches<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

const rssKb = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** The cloud's process and every process of its simulated hypervisors (detached, so not its children). */
export function treeRssMb(pid: number, stateDir: string): number {
  const pids = [pid];
  const hv = join(stateDir, 'hv');
  for (const d of existsSync(hv) ? readdirSync(hv) : []) {
    pids.push(Number(readFileSync(join(hv, d, 'keeper.pid'), 'utf8')));
    pids.push(
      ...readFileSync(join(hv, d, 'ready'), 'utf8')
        .trim()
        .split(' ')
        .map(Number),
    );
  }
  return pids.reduce((kb, p) => kb + rssKb(p), 0) / 1024;
}

/** A server list as the benchmarks read it (the API client's answers are untyped JSON). */
export interface Servers {
  servers: Array<Record<string, unknown>>;
}

export interface BenchCloud {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly nova: ReturnType<typeof client>;
  readonly keystone: ReturnType<typeof client>;
  readonly urls: { readonly compute: string; readonly identity: string; readonly admin: string };
  /** The demo user's password (a member of the demo project). */
  readonly demoPassword: string;
  /** An admin token, scoped to the admin project. */
  readonly token: string;
  /** The operational endpoint's port, when it was asked for. */
  readonly opsPort?: number;
  /** The cloud's PostgreSQL database (a throwaway one), when DATABASE_URL names a server; else SQLite under the state dir. */
  readonly databaseUrl?: string;
  /**
   * With `captureSql`: the SELECT statements on the instances table the cloud ran while `work` ran,
   * as their text (values inlined), so a baseline can run exactly them.
   */
  readonly capturedSql?: (work: () => Promise<void>) => Promise<string[]>;
  /** Connections straight to the first `count` simulated hypervisors, through the binding. */
  readonly hypervisors: (count: number) => LibvirtConnection[];
  readonly stop: () => Promise<void>;
}

/**
 * The compiled cloud (rebuilt if stale) on free ports, its state in a new folder named from
 * `prefix` (short: the hypervisors' socket paths must fit), three simulated hosts with room for
 * 1,000 servers up to m1.small; answered once the compute API answers and an admin token is issued.
 */
export async function startBenchCloud(
  prefix: string,
  options: { ops?: boolean; captureSql?: boolean; env?: Readonly<Record<string, string>> } = {},
): Promise<BenchCloud> {
  execFileSync(process.execPath, [join(root, 'bin', 'build-if-stale.mjs')], { stdio: 'inherit' });
  // A PostgreSQL cloud gets a database of its own, dropped when it stops: the servers of an earlier run would fill its hosts.
  const wantsPostgres = !options.env?.DATABASE_URL && (process.env.DATABASE_URL ?? '').startsWith('postgres');
  const database = wantsPostgres ? await postgresDatabase() : undefined;
  if (wantsPostgres && !database) throw new Error('DATABASE_URL names a PostgreSQL server that did not create a bench database');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(dir, 's');
  const ports = { identity: await freePort(), compute: await freePort(), admin: await freePort(), ops: options.ops ? await freePort() : undefined };
  const env = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME ?? '/root',
    STRATUS_STATE_DIR: stateDir,
    // Simulated hosts only unless a benchmark asks for the real one.
    STRATUS_LIBVIRT_REAL_HOST: 'false',
    STRATUS_DATAPLANE_ENABLED: 'off',
    STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_DEMO_PASSWORD: DEMO_PASSWORD,
    STRATUS_LISTEN_OPS: String(ports.ops ?? 0),
    // The console proxies on ports of their own: parallel clouds never collide.
    STRATUS_LISTEN_CONSOLE: '0',
    STRATUS_CONSOLES_SPICE_PORT: '0',
    STRATUS_CONSOLES_SERIAL_PORT: '0',
    STRATUS_LISTEN_IMAGE: '0',
    STRATUS_LISTEN_NETWORK: '0',
    STRATUS_LISTEN_IDENTITY: String(ports.identity),
    STRATUS_LISTEN_COMPUTE: String(ports.compute),
    STRATUS_LISTEN_ADMIN: String(ports.admin),
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, 'clouds.yaml'),
    STRATUS_LOG_LEVEL: 'warn',
    STRATUS_LIBVIRT_VCPUS: '64',
    STRATUS_LIBVIRT_MEMORY_MB: '524288',
    STRATUS_LIBVIRT_DISK_GB: '4000',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(options.captureSql ? { STRATUS_BENCH_SQL_LOG: join(dir, 'sql.json') } : {}),
    ...options.env,
  };
  const preload = options.captureSql ? [`--import=${pathToFileURL(join(root, 'bench', 'capture-sql.mjs')).href}`] : [];
  // A CPU profile of the cloud process, written when it stops (--cpu-prof), into the folder given.
  const prof = process.env.STRATUS_BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STRATUS_BENCH_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...prof, ...preload, join(root, 'dist', 'bin', 'stratus.js'), 'start'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const dumpSql = async (): Promise<string[]> => {
    const file = join(dir, 'sql.json');
    child.kill('SIGUSR2');
    await until(() => existsSync(file), 10_000);
    const statements = JSON.parse(readFileSync(file, 'utf8')) as string[];
    rmSync(file);
    return statements;
  };
  const capturedSql = options.captureSql
    ? async (work: () => Promise<void>) => {
        await dumpSql();
        await work();
        return (await dumpSql()).filter((sql) => /\binstances\b/.test(sql));
      }
    : undefined;
  // A cloud whose event loop is stuck (the hostile benchmark can leave it so) never handles SIGTERM:
  // it is killed after a while, and its hypervisors, which it would have stopped, are stopped here.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    const hv = join(stateDir, 'hv');
    for (const d of existsSync(hv) ? readdirSync(hv) : []) await stopSimulatedHypervisor(join(hv, d), 5_000).catch(() => undefined);
    // A real host's QEMU daemon and guests outlive a graceful stop by design: stopped here, before their folder goes.
    const qemu = join(stateDir, 'qemu', '1');
    if (existsSync(qemu)) await stopQemuHypervisor(qemu).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  };
  const urls = {
    compute: `http://127.0.0.1:${ports.compute}`,
    identity: `http://127.0.0.1:${ports.identity}`,
    admin: `http://127.0.0.1:${ports.admin}`,
  };
  const nova = client(urls.compute);
  const keystone = client(urls.identity);
  try {
    await until(async () => (await nova.call('GET', '/').catch(() => ({ status: 0 }))).status === 200, 120_000);
    const token = (await keystone.login('admin', ADMIN_PASSWORD, 'admin')).token!;
    return {
      child,
      stateDir,
      nova,
      keystone,
      urls,
      demoPassword: DEMO_PASSWORD,
      token,
      opsPort: ports.ops,
      databaseUrl: database?.url ?? options.env?.DATABASE_URL,
      stop,
      capturedSql,
      hypervisors: (count) =>
        Array.from(
          { length: count },
          (_, i) => new LibvirtConnection(`test+unix:///default?socket=${join(stateDir, 'hv', String(i + 1), 'libvirt-sock')}`),
        ),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * When each domain's lifecycle events first arrived on a connection (`performance.now()`), kept from the moment
 * this is made, so a figure can ask for an event that came before it asked.
 */
export class LifecycleTimes {
  private readonly first = new Map<string, number>();
  private readonly waiting = new Map<string, Array<(at: number) => void>>();
  /** Stops listening. */
  readonly close: () => void;

  constructor(
    connection: { onLifecycle(listener: (event: LifecycleEvent) => void): () => unknown },
    private readonly now: () => number = () => performance.now(),
  ) {
    const off = connection.onLifecycle(({ uuid, event }) => this.record(`${uuid} ${event}`));
    this.close = () => void off();
  }

  /** When `event` (VIR_DOMAIN_EVENT) first arrived for `uuid`: at once if it has, else when it does; rejects after `timeoutMs`. */
  at(uuid: string, event: number, timeoutMs = 120_000): Promise<number> {
    const key = `${uuid} ${event}`;
    const seen = this.first.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const rest = (this.waiting.get(key) ?? []).filter((w) => w !== arrived);
        if (rest.length) this.waiting.set(key, rest);
        else this.waiting.delete(key);
        reject(new Error(`no lifecycle event ${event} for domain ${uuid} within ${timeoutMs} ms`));
      }, timeoutMs);
      const arrived = (at: number) => {
        clearTimeout(timer);
        resolve(at);
      };
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), arrived]);
    });
  }

  private record(key: string) {
    if (this.first.has(key)) return;
    const at = this.now();
    this.first.set(key, at);
    for (const arrived of this.waiting.get(key) ?? []) arrived(at);
    this.waiting.delete(key);
  }
}

/** The bench cloud's database, as its own process opened it (SQLite under the state dir, or its PostgreSQL database). */
export function openBenchDatabase(stateDir: string, databaseUrl?: string): Sequelize {
  const url = databaseUrl ?? `sqlite:${join(stateDir, 'stratus.sqlite')}`;
  return url.startsWith('sqlite:')
    ? new Sequelize({ dialect: 'sqlite', storage: url.slice(7), logging: false })
    : new Sequelize(url, { logging: false });
}

/** A timestamp column as read raw: a Date on PostgreSQL, `YYYY-MM-DD hh:mm:ss.sss +00:00` text on SQLite; ms since the epoch. */
export function dbTime(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const text = String(value)
    .trim()
    .replace(' ', 'T')
    .replace(/ ?([+-]\d\d:\d\d)$/, '$1');
  const ms = Date.parse(/(?:[zZ]|[+-]\d\d:\d\d)$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw new Error(`unreadable timestamp ${String(value)}`);
  return ms;
}

/** Instance rows' timestamps by uuid, read straight from the cloud's database. */
export async function instanceTimes(
  sequelize: Sequelize,
  ids: readonly string[],
): Promise<Map<string, { created: number; launched?: number; updated: number }>> {
  const rows = await sequelize.query<{ uuid: string; created_at: unknown; launched_at: unknown; updated_at: unknown }>(
    'SELECT uuid, created_at, launched_at, updated_at FROM instances WHERE uuid IN (:ids)',
    { replacements: { ids: [...ids] }, type: QueryTypes.SELECT },
  );
  return new Map(
    rows.map((r) => [
      r.uuid,
      {
        created: dbTime(r.created_at),
        launched: r.launched_at == null ? undefined : dbTime(r.launched_at),
        updated: dbTime(r.updated_at),
      },
    ]),
  );
}
