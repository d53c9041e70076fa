import test from 'ava';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { startCloudProcess, stratusProcess as stratus } from './helpers/cloud-process.js';
import { client } from './helpers/identity.js';
import { keystoneRefused } from './helpers/refusals.js';

test('stratus start serves /healthz and /metrics, and stops cleanly on SIGTERM', async (t) => {
  const database = await createTestDatabase('cloud');
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-cloud-'));
  const env: Record<string, string> = { STRATUS_STATE_DIR: stateDir, STRATUS_LISTEN_OPS: '0', STRATUS_LOG_LEVEL: 'info' };
  if (database.label === 'postgres') env.DATABASE_URL = database.url;
  const { child, lines } = stratus(['start'], {
    ...env,
    STRATUS_LISTEN_IDENTITY: '0',
    STRATUS_LISTEN_IMAGE: '0',
    STRATUS_LISTEN_NETWORK: '0',
    STRATUS_LISTEN_COMPUTE: '0',
    STRATUS_LISTEN_ADMIN: '0',
    STRATUS_IDENTITY_CLOUDS_YAML: join(stateDir, 'clouds.yaml'),
  });
  await eventually(() => lines.some((l) => l.msg === 'stratus started'), 60_000);
  const started = lines.find((l) => l.msg === 'stratus started')!;
  t.deepEqual(started.roles, ['api', 'scheduler', 'compute', 'console', 'network']);
  t.is(started.database, database.label);

  const health = await fetch(`${started.ops}/healthz`, { headers: { 'x-openstack-request-id': 'req-00000000-0000-4000-8000-000000000001' } });
  t.is(health.status, 200);
  // The server names the request itself; the caller's id is kept as the global request id, in the logs.
  const own = health.headers.get('x-openstack-request-id')!;
  t.regex(own, /^req-[0-9a-f-]{36}$/);
  t.not(own, 'req-00000000-0000-4000-8000-000000000001');
  t.like(await health.json(), { status: 'ok', node: 'node-1' });
  const metrics = await fetch(`${started.ops}/metrics`);
  t.is(metrics.status, 200);
  const text = await metrics.text();
  t.regex(text, /stratus_actor_active\{kind="instance"\} 0/);
  t.regex(text, /stratus_process_resident_memory_bytes/);
  await eventually(() =>
    lines.some((l) => l.msg === 'request' && l.correlationId === own && l.globalRequestId === 'req-00000000-0000-4000-8000-000000000001'),
  );

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.is(code, 0);
  t.true(lines.some((l) => l.msg === 'stratus stopped'));
  if (database.label === 'sqlite') t.notThrows(() => rmSync(join(stateDir, 'stratus.sqlite')), 'the embedded database lives in the state directory');
  rmSync(stateDir, { recursive: true, force: true });
  await database.drop();
});

test('a cluster node whose Redis does not answer refuses to start, saying so without the password', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-cluster-'));
  const { child, stderr, lines } = stratus(['start'], { REDIS_URL: 'redis://stratus:s3cret@127.0.0.1:1/0', STRATUS_STATE_DIR: stateDir });
  const [code] = await once(child, 'exit');
  t.is(code, 2);
  const text = stderr.join('');
  t.regex(text, /^stratus: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/m);
  t.true(lines.some((l) => l.msg === 'cluster mode: mailboxes in Redis' && l.redis === 'redis://stratus:***@127.0.0.1:1/0'));
  t.false(text.includes('s3cret') || JSON.stringify(lines).includes('s3cret'));
  t.false(lines.some((l) => l.msg === 'stratus started'));
  rmSync(stateDir, { recursive: true, force: true });
});

test('a bad configuration value stops the process with a message naming the key', async (t) => {
  const { child, stderr } = stratus(['start'], { STRATUS_SUPERVISION_MAX_RESTARTS: 'many', STRATUS_STATE_DIR: tmpdir() });
  const [code] = await once(child, 'exit');
  t.is(code, 2);
  const text = stderr.join('');
  t.regex(text, /supervision\.maxRestarts/);
  t.regex(text, /STRATUS_SUPERVISION_MAX_RESTARTS/);
});

test('the production start refuses test-only fault hooks; the test harness honours them', async (t) => {
  const env = { STRATUS_FAULTS_IGNORE_SHUTDOWN_HOSTS: 'compute-1', STRATUS_STATE_DIR: tmpdir() };
  const production = stratus(['start'], env);
  const [code] = await once(production.child, 'exit');
  t.is(code, 2);
  t.regex(
    production.stderr.join(''),
    /faults\.ignoreShutdownHosts \(env STRATUS_FAULTS_IGNORE_SHUTDOWN_HOSTS\): a test-only fault hook, refused outside the test harness/,
  );
  // Under the harness the hook passes; a bad key beside it still stops the start, so nothing is started here.
  const harness = stratus(['start'], { ...env, STRATUS_SUPERVISION_MAX_RESTARTS: 'many' }, 'harness');
  const [harnessCode] = await once(harness.child, 'exit');
  t.is(harnessCode, 2);
  const text = harness.stderr.join('');
  t.regex(text, /supervision\.maxRestarts/);
  t.notRegex(text, /faults/);
});

test('reset-admin sets a new admin password and rewrites only the admin cloud in clouds.yaml', async (t) => {
  const database = await createTestDatabase('reset-admin');
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-reset-'));
  const cloudsYaml = join(stateDir, 'clouds.yaml');
  const env: Record<string, string> = {
    STRATUS_STATE_DIR: stateDir,
    STRATUS_LISTEN_OPS: '0',
    STRATUS_LISTEN_IDENTITY: '0',
    STRATUS_LISTEN_IMAGE: '0',
    STRATUS_LISTEN_NETWORK: '0',
    STRATUS_LISTEN_COMPUTE: '0',
    STRATUS_LISTEN_ADMIN: '0',
    STRATUS_IDENTITY_CLOUDS_YAML: cloudsYaml,
    STRATUS_ADMIN_PASSWORD: 'first-admin',
    STRATUS_DEMO_PASSWORD: 'first-demo',
    ...(database.label === 'postgres' ? { DATABASE_URL: database.url } : {}),
  };
  const first = await startCloudProcess(env);
  t.is(await first.stop(), 0);
  t.regex(readFileSync(cloudsYaml, 'utf8'), /password: "first-admin"/);

  const reset = stratus(['reset-admin'], { ...env, STRATUS_ADMIN_PASSWORD: 'second-admin' });
  const [code] = await once(reset.child, 'exit');
  t.is(code, 0, reset.stderr.join(''));
  const yaml = readFileSync(cloudsYaml, 'utf8');
  t.regex(yaml, /stratus:\n[\s\S]*password: "second-admin"[\s\S]*stratus-demo:\n[\s\S]*password: "first-demo"/);
  t.is(yaml.match(/auth_url: (\S+)/g)!.length, 2);
  t.is(new Set(yaml.match(/auth_url: (\S+)/g)).size, 1, 'the admin cloud keeps the URL clients used');

  const again = await startCloudProcess(env);
  const api = client(again.started().identity);
  t.is((await api.login('admin', 'second-admin', 'admin')).status, 201);
  keystoneRefused(t, await api.login('admin', 'first-admin', 'admin'), 401, 'The request you have made requires authentication.');
  t.is((await api.login('demo', 'first-demo', 'demo')).status, 201, 'the demo user is untouched');
  t.is(await again.stop(), 0);
  rmSync(stateDir, { recursive: true, force: true });
  await database.drop();
});
