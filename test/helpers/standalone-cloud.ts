// A fresh Stratus for the external conformance runners (Tempest, openstacksdk's functional tests): the product's own
// entry in a workspace of its own (state directory, SQLite database unless DATABASE_URL names a PostgreSQL server, free
// ports, simulated hosts), its log in a file, and the admin's REST calls the runners prepare it with.
// Test machinery, never imported by the product.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './cloud-process.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { eventually } from './drive.js';
import { stopLeftoverHypervisors } from './test-cloud.js';

const STRATUS = fileURLToPath(new URL('../../bin/stratus.ts', import.meta.url));

export interface StandaloneCloud {
  readonly workspace: string;
  readonly adminPassword: string;
  /** The bootstrap's `demo` user (member on project `demo`). */
  readonly demoPassword: string;
  readonly ports: { identity: number; image: number; network: number; compute: number; admin: number };
  readonly databaseLabel: string;
  readonly log: string;
  /** A project-scoped admin token from the bootstrap's admin. */
  adminToken(): Promise<string>;
  /** Stops the cloud and its simulated hosts, drops its database; the state directory stays when `keep`. */
  stop(keep: boolean): Promise<void>;
}

export async function startStandaloneCloud(
  options: { name: string; computeNodes: number; env?: Record<string, string> },
  attempt = 1,
): Promise<StandaloneCloud> {
  const workspace = mkdtempSync(join(tmpdir(), `stratus-${options.name}-`));
  const adminPassword = randomBytes(12).toString('hex');
  const demoPassword = randomBytes(12).toString('hex');
  const database: TestDatabase = await createTestDatabase(options.name);
  const ports = {
    identity: await freePort(),
    image: await freePort(),
    network: await freePort(),
    compute: await freePort(),
    admin: await freePort(),
  };
  const env: Record<string, string> = {
    STRATUS_STATE_DIR: join(workspace, 'state'),
    STRATUS_LISTEN_IDENTITY: String(ports.identity),
    STRATUS_LISTEN_IMAGE: String(ports.image),
    STRATUS_LISTEN_NETWORK: String(ports.network),
    STRATUS_LISTEN_COMPUTE: String(ports.compute),
    STRATUS_LISTEN_ADMIN: String(ports.admin),
    STRATUS_LISTEN_OPS: '0',
    // The console proxies on ports of their own: parallel clouds never collide.
    STRATUS_LISTEN_CONSOLE: '0',
    STRATUS_CONSOLES_SPICE_PORT: '0',
    STRATUS_CONSOLES_SERIAL_PORT: '0',
    STRATUS_IDENTITY_CLOUDS_YAML: join(workspace, 'stratus-clouds.yaml'),
    STRATUS_ADMIN_PASSWORD: adminPassword,
    STRATUS_DEMO_PASSWORD: demoPassword,
    STRATUS_LIBVIRT_REAL_HOST: 'false',
    STRATUS_DATAPLANE_ENABLED: 'off',
    STRATUS_LIBVIRT_SIMULATED_HOSTS: String(options.computeNodes),
    STRATUS_LOG_LEVEL: 'info',
    ...options.env,
    ...(database.label === 'postgres' ? { DATABASE_URL: database.url } : { STRATUS_DATABASE_URL: database.url }),
  };
  const log = join(workspace, 'stratus.log');
  // The product's own entry; its log goes to a file (a long run logs much), read for the start line.
  const cloud = spawn(process.execPath, ['--import=tsx', STRATUS, 'start'], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  const stop = async (keep: boolean): Promise<void> => {
    if (cloud.exitCode === null) {
      cloud.kill('SIGTERM');
      await once(cloud, 'exit');
    }
    await stopLeftoverHypervisors(env.STRATUS_STATE_DIR);
    await database.drop();
    if (!keep) rmSync(env.STRATUS_STATE_DIR, { recursive: true, force: true });
  };
  try {
    await eventually(() => {
      if (cloud.exitCode !== null) throw new Error(`stratus exited: see ${log}`);
      return readFileSync(log, 'utf8').includes('"msg":"stratus started"');
    }, 180_000);
  } catch (error) {
    await stop(true);
    // A port found free can be taken by another process before the cloud binds it: start over, everything new.
    if (attempt < 3 && readFileSync(log, 'utf8').includes('EADDRINUSE')) {
      rmSync(workspace, { recursive: true, force: true });
      return startStandaloneCloud(options, attempt + 1);
    }
    throw error;
  }
  return {
    workspace,
    adminPassword,
    demoPassword,
    ports,
    databaseLabel: database.label,
    log,
    adminToken: () => adminToken(ports.identity, adminPassword),
    stop,
  };
}

async function adminToken(port: number, password: string): Promise<string> {
  const reply = await fetch(`http://127.0.0.1:${port}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  if (reply.status !== 201) throw new Error(`admin token: ${reply.status} ${await reply.text()}`);
  return reply.headers.get('x-subject-token')!;
}

/** Runs a command with its output on this terminal; resolves with its exit code. */
export function runInherited(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** Runs a command and resolves with its standard output (also when it exits non-zero but wrote some). */
export function capture(command: string, args: string[], cwd: string, input?: Buffer, env: Record<string, string> = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd, encoding: 'buffer', maxBuffer: 1 << 30, env: { ...process.env, ...env } }, (error, stdout) =>
      error && !stdout.length ? reject(new Error(`${command}: ${error.message}`)) : resolve(stdout),
    );
    if (input) child.stdin!.end(input);
  });
}

/** The subunit summary (test/helpers/subunit-summary.py): totals, then the failures and the skips with reasons. */
export const SUBUNIT_SUMMARY = fileURLToPath(new URL('./subunit-summary.py', import.meta.url));
