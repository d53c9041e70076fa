#!/usr/bin/env node
// `npm run tempest [-- --regex <re>] [--concurrency <n>] [--keep]`: runs Debian's Tempest (33) compute API tests
// against a fresh Stratus of its own (state directory, SQLite database unless DATABASE_URL names a PostgreSQL
// server, free ports) whose boots land on simulated hosts, then prints passed/failed/skipped and the lists.
// Test machinery: not part of `npm test` (a full run takes long), never imported by the product.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../helpers/cloud-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/drive.js';
import { stopLeftoverHypervisors } from '../helpers/test-cloud.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const STRATUS = fileURLToPath(new URL('../../bin/stratus.ts', import.meta.url));
const COMPUTE_NODES = 3;

const { values: options } = parseArgs({
  options: {
    regex: { type: 'string', default: '^tempest\\.api\\.compute' },
    concurrency: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});

const workspace = mkdtempSync(join(tmpdir(), 'stratus-tempest-'));
const adminPassword = randomBytes(12).toString('hex');

async function main(): Promise<number> {
  const database = await createTestDatabase('tempest');
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
    STRATUS_IDENTITY_CLOUDS_YAML: join(workspace, 'clouds.yaml'),
    STRATUS_ADMIN_PASSWORD: adminPassword,
    STRATUS_LIBVIRT_REAL_HOST: 'false',
    STRATUS_LIBVIRT_SIMULATED_HOSTS: String(COMPUTE_NODES),
    // Dynamic credentials give every test class projects of its own on the default quotas; a class boots a few
    // servers at most, but several classes run at once on the same hosts.
    STRATUS_QUOTAS_INSTANCES: '50',
    STRATUS_QUOTAS_CORES: '100',
    STRATUS_QUOTAS_RAM_MB: '204800',
    STRATUS_LOG_LEVEL: 'info',
    ...(database.label === 'postgres' ? { DATABASE_URL: database.url } : { STRATUS_DATABASE_URL: database.url }),
  };
  const log = join(workspace, 'stratus.log');
  // The product's own entry; its log goes to a file (a long run logs much), read for the start line.
  const cloud = spawn(process.execPath, ['--import=tsx', STRATUS, 'start'], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  try {
    await eventually(() => {
      if (cloud.exitCode !== null) throw new Error(`stratus exited: see ${log}`);
      return readFileSync(log, 'utf8').includes('"msg":"stratus started"');
    }, 180_000);
    const token = await adminToken(ports.identity);
    const imageRef = await findImage(ports.image, token, 'stratus-tiny');
    const imageRefAlt = await copyImage(ports.image, token, imageRef, 'stratus-tiny-alt');
    writeConfig({ identityPort: ports.identity, imageRef, imageRefAlt });
    console.log(`tempest: workspace ${workspace}, Stratus identity at http://127.0.0.1:${ports.identity}/v3 (${database.label})`);
    await run('tempest', ['run', '--regex', options.regex, '--concurrency', options.concurrency], workspace, true);
    return await summarize();
  } finally {
    await stop(cloud, env, database);
  }
}

async function adminToken(port: number): Promise<string> {
  const reply = await fetch(`http://127.0.0.1:${port}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: adminPassword } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  if (reply.status !== 201) throw new Error(`admin token: ${reply.status} ${await reply.text()}`);
  return reply.headers.get('x-subject-token')!;
}

async function findImage(port: number, token: string, name: string): Promise<string> {
  const reply = await fetch(`http://127.0.0.1:${port}/v2/images?name=${name}`, { headers: { 'x-auth-token': token } });
  const { images } = (await reply.json()) as { images: Array<{ id: string }> };
  if (!images[0]) throw new Error(`image ${name} not found`);
  return images[0].id;
}

/** Tempest rebuilds onto image_ref_alt and checks the image changed: a second image with the same bytes. */
async function copyImage(port: number, token: string, id: string, name: string): Promise<string> {
  const base = `http://127.0.0.1:${port}/v2/images`;
  const source = (await (await fetch(`${base}/${id}`, { headers: { 'x-auth-token': token } })).json()) as Record<string, string>;
  const bytes = Buffer.from(await (await fetch(`${base}/${id}/file`, { headers: { 'x-auth-token': token } })).arrayBuffer());
  const created = await fetch(base, {
    method: 'POST',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ name, disk_format: source.disk_format, container_format: source.container_format, visibility: 'public' }),
  });
  if (created.status !== 201) throw new Error(`image create: ${created.status} ${await created.text()}`);
  const image = (await created.json()) as { id: string };
  const put = await fetch(`${base}/${image.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (put.status !== 204) throw new Error(`image upload: ${put.status} ${await put.text()}`);
  return image.id;
}

function writeConfig(values: { identityPort: number; imageRef: string; imageRefAlt: string }): void {
  const fill: Record<string, string> = {
    workspace,
    adminPassword,
    identityPort: String(values.identityPort),
    imageRef: values.imageRef,
    imageRefAlt: values.imageRefAlt,
    computeNodes: String(COMPUTE_NODES),
  };
  const text = readFileSync(join(HERE, 'tempest.conf.template'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => fill[key]);
  for (const d of ['etc', 'logs', 'locks']) mkdirSync(join(workspace, d), { recursive: true });
  writeFileSync(join(workspace, 'etc', 'tempest.conf'), text);
  // stestr's own configuration, as `tempest init` writes it: Tempest's test discovery from the installed package.
  writeFileSync(
    join(workspace, '.stestr.conf'),
    '[DEFAULT]\ntest_path=/usr/lib/python3/dist-packages/tempest/test_discover\ntop_dir=/usr/lib/python3/dist-packages\n',
  );
}

/** Reads the last stestr run (subunit) and prints the totals, then the failures and the skips with their reasons. */
async function summarize(): Promise<number> {
  const subunit = await capture('stestr', ['last', '--subunit'], workspace);
  const report = (await capture('/usr/bin/python3', [join(HERE, 'summary.py')], workspace, subunit)).toString('utf8');
  writeFileSync(join(workspace, 'summary.txt'), report);
  console.log(report);
  return /^failed: 0$/m.test(report) ? 0 : 1;
}

function run(command: string, args: string[], cwd: string, inherit = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: inherit ? 'inherit' : 'ignore',
      env: { ...process.env, TEMPEST_CONFIG_DIR: join(cwd, 'etc'), TEMPEST_CONFIG: 'tempest.conf' },
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function capture(command: string, args: string[], cwd: string, input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd, encoding: 'buffer', maxBuffer: 1 << 30 }, (error, stdout) =>
      error && !stdout.length ? reject(new Error(`${command}: ${error.message}`)) : resolve(stdout),
    );
    if (input) child.stdin!.end(input);
  });
}

async function stop(cloud: ChildProcess, env: Record<string, string>, database: TestDatabase): Promise<void> {
  if (cloud.exitCode === null) {
    cloud.kill('SIGTERM');
    await once(cloud, 'exit');
  }
  await stopLeftoverHypervisors(env.STRATUS_STATE_DIR);
  await database.drop();
  if (!options.keep) rmSync(join(workspace, 'state'), { recursive: true, force: true });
}

// Ctrl-C reaches Tempest and Stratus too (one process group): this process waits for both, then cleans up.
process.on('SIGINT', () => undefined);
process.exitCode = await main();
