import { Sequelize } from 'sequelize';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { freePort } from '../test/helpers/cloud-process.js';
import { ADMIN_PASSWORD, client } from '../test/helpers/identity.js';
import { until } from './report.js';

// What the benchmarks that drive a whole cloud share: the compiled cloud in a process of its own,
// the simulated hypervisors it started, bounded concurrency and the resident memory of the lot.

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `work(0…count-1)`, at most `concurrency` at a time; the results in index order. */
export async function inBatches<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) { const i = next++; results[i] = await work(i); }
  }));
  return results;
}

const rssKb = (pid: number) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
};

/** The cloud's process and every process of its simulated hypervisors (detached, so not its children). */
export function treeRssMb(pid: number, stateDir: string): number {
  const pids = [pid];
  const hv = join(stateDir, 'hv');
  for (const d of existsSync(hv) ? readdirSync(hv) : []) {
    pids.push(Number(readFileSync(join(hv, d, 'keeper.pid'), 'utf8')));
    pids.push(...readFileSync(join(hv, d, 'ready'), 'utf8').trim().split(' ').map(Number));
  }
  return pids.reduce((kb, p) => kb + rssKb(p), 0) / 1024;
}

export interface BenchCloud {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly nova: ReturnType<typeof client>;
  /** An admin token, scoped to the admin project. */
  readonly token: string;
  /** The operational endpoint's port, when it was asked for. */
  readonly opsPort?: number;
  /** Connections straight to the first `count` simulated hypervisors, through the binding. */
  hypervisors(count: number): LibvirtConnection[];
  stop(): Promise<void>;
}

/**
 * The compiled cloud (rebuilt if stale) on free ports, its state in a new folder named from
 * `prefix` (short: the hypervisors' socket paths must fit), three simulated hosts with room for
 * 1,000 servers up to m1.small; answered once the compute API answers and an admin token is issued.
 */
export async function startBenchCloud(prefix: string, options: { ops?: boolean } = {}): Promise<BenchCloud> {
  execFileSync(process.execPath, [join(root, 'bin', 'build-if-stale.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(dir, 's');
  const ports = { identity: await freePort(), compute: await freePort(), ops: options.ops ? await freePort() : undefined };
  const env = {
    PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', STRATUS_STATE_DIR: stateDir, STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    STRATUS_LISTEN_OPS: String(ports.ops ?? 0), STRATUS_LISTEN_IMAGE: '0', STRATUS_LISTEN_IDENTITY: String(ports.identity), STRATUS_LISTEN_COMPUTE: String(ports.compute), STRATUS_LISTEN_ADMIN: '0',
    STRATUS_IDENTITY_CLOUDS_YAML: join(dir, 'clouds.yaml'), STRATUS_LOG_LEVEL: 'warn',
    STRATUS_LIBVIRT_VCPUS: '64', STRATUS_LIBVIRT_MEMORY_MB: '524288', STRATUS_LIBVIRT_DISK_GB: '4000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const child = spawn(process.execPath, [join(root, 'dist', 'bin', 'stratus.js'), 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const nova = client(`http://127.0.0.1:${ports.compute}`);
  try {
    await until(async () => (await nova.call('GET', '/').catch(() => ({ status: 0 }))).status === 200, 120_000);
    const token = (await client(`http://127.0.0.1:${ports.identity}`).login('admin', ADMIN_PASSWORD, 'admin')).token!;
    return {
      child, stateDir, nova, token, opsPort: ports.ops, stop,
      hypervisors: (count) => Array.from({ length: count },
        (_, i) => new LibvirtConnection(`test+unix:///default?socket=${join(stateDir, 'hv', String(i + 1), 'libvirt-sock')}`)),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The bench cloud's database, as its own process opened it (SQLite under the state dir, or DATABASE_URL). */
export function openBenchDatabase(stateDir: string): Sequelize {
  const url = process.env.DATABASE_URL ?? `sqlite:${join(stateDir, 'stratus.sqlite')}`;
  return url.startsWith('sqlite:') ? new Sequelize({ dialect: 'sqlite', storage: url.slice(7), logging: false }) : new Sequelize(url, { logging: false });
}
