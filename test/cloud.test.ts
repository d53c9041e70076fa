import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';

const bin = fileURLToPath(new URL('../bin/stratus.ts', import.meta.url));

function stratus(args: string[], env: Record<string, string>): { child: ChildProcess; lines: Array<Record<string, any>>; stderr: string[] } {
  const child = spawn(process.execPath, ['--import=tsx', bin, ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, any>> = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n').filter(Boolean)) { try { lines.push(JSON.parse(l)); } catch { /* not a log line */ } }
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  return { child, lines, stderr };
}

test('stratus start serves /healthz and /metrics, and stops cleanly on SIGTERM', async (t) => {
  const database = await createTestDatabase('cloud');
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-cloud-'));
  const env: Record<string, string> = { STRATUS_STATE_DIR: stateDir, STRATUS_LISTEN_OPS: '0', STRATUS_LOG_LEVEL: 'info' };
  if (database.label === 'postgres') env.DATABASE_URL = database.url;
  const { child, lines } = stratus(['start'], env);
  await eventually(() => lines.some((l) => l.msg === 'stratus started'), 60_000);
  const started = lines.find((l) => l.msg === 'stratus started')!;
  t.deepEqual(started.roles, ['api', 'scheduler', 'compute', 'console']);
  t.is(started.database, database.label);

  const health = await fetch(`${started.ops}/healthz`, { headers: { 'x-openstack-request-id': 'req-00000000-0000-4000-8000-000000000001' } });
  t.is(health.status, 200);
  t.is(health.headers.get('x-openstack-request-id'), 'req-00000000-0000-4000-8000-000000000001');
  t.like(await health.json(), { status: 'ok', node: 'node-1' });
  const metrics = await fetch(`${started.ops}/metrics`);
  t.is(metrics.status, 200);
  const text = await metrics.text();
  t.regex(text, /stratus_actor_active\{kind="instance"\} 0/);
  t.regex(text, /stratus_process_resident_memory_bytes/);
  await eventually(() => lines.some((l) => l.msg === 'request' && l.correlationId === 'req-00000000-0000-4000-8000-000000000001'));

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.is(code, 0);
  t.true(lines.some((l) => l.msg === 'stratus stopped'));
  if (database.label === 'sqlite') t.notThrows(() => rmSync(join(stateDir, 'stratus.sqlite')), 'the embedded database lives in the state directory');
  rmSync(stateDir, { recursive: true, force: true });
  await database.drop();
});

test('a bad configuration value stops the process with a message naming the key', async (t) => {
  const { child, stderr } = stratus(['start'], { STRATUS_SUPERVISION_MAX_RESTARTS: 'many', STRATUS_STATE_DIR: tmpdir() });
  const [code] = await once(child, 'exit');
  t.is(code, 2);
  const text = stderr.join('');
  t.regex(text, /supervision\.maxRestarts/);
  t.regex(text, /STRATUS_SUPERVISION_MAX_RESTARTS/);
});
