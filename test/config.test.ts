import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configKeys, formatConfigError, loadConfig } from '../cluster.config.js';

const cwd = mkdtempSync(join(tmpdir(), 'stratus-config-'));
const problems = (env: Record<string, string>, overrides?: object) => {
  const error = (() => {
    try {
      loadConfig({ env, cwd, overrides: overrides as never });
    } catch (e) {
      return e;
    }
  })();
  if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
  return error.problems;
};

test('defaults serve a one-machine start', (t) => {
  const config = loadConfig({ env: {}, cwd });
  t.deepEqual(config.roles, ['api', 'scheduler', 'compute', 'console', 'network']);
  t.is(config.redisUrl, '', 'no Redis unless configured: the all-in-one delivers in-process');
  t.is(config.stateDir, join(cwd, '.stratus'));
  t.is(config.databaseUrl, `sqlite:${join(cwd, '.stratus', 'stratus.sqlite')}`);
  t.is(config.supervision.maxRestarts, 5);
  t.is(config.listen.compute, 8774);
  t.true(Object.isFrozen(config.supervision));
});

test('environment variables override nested keys, lists, numbers and booleans', (t) => {
  const config = loadConfig({
    cwd,
    env: {
      STRATUS_SUPERVISION_MAX_RESTARTS: '9',
      STRATUS_ROLES: 'api, compute',
      STRATUS_METRICS_ALLOW_REMOTE: 'true',
      STRATUS_STATE_DIR: '/var/lib/stratus',
      STRATUS_LIBVIRT_URIS: 'qemu:///system,test:///default',
    },
  });
  t.is(config.supervision.maxRestarts, 9);
  t.deepEqual(config.roles, ['api', 'compute']);
  t.true(config.metrics.allowRemote);
  t.is(config.databaseUrl, 'sqlite:/var/lib/stratus/stratus.sqlite');
  t.deepEqual(config.libvirt.uris, ['qemu:///system', 'test:///default']);
});

test('hosts are configured one by one as JSON; a malformed list names the key', (t) => {
  const config = loadConfig({
    cwd,
    env: { STRATUS_LIBVIRT_HOSTS: '[{"name":"big-1","vcpus":20,"cpuAllocationRatio":1},{"name":"real","uri":"qemu:///system"}]' },
  });
  t.deepEqual(config.libvirt.hosts, [
    { name: 'big-1', vcpus: 20, cpuAllocationRatio: 1 },
    { name: 'real', uri: 'qemu:///system' },
  ]);
  t.regex(problems({ STRATUS_LIBVIRT_HOSTS: 'big-1' })[0], /^libvirt\.hosts \(env STRATUS_LIBVIRT_HOSTS\): expected a JSON list of objects/);
  t.true(problems({ STRATUS_LIBVIRT_HOSTS: '[{"name":"x","vcpus":0}]' }).some((p) => p.startsWith('libvirt.hosts')));
});

test('test-only fault hooks are refused unless the test harness allows them, each named with its source', (t) => {
  t.deepEqual(loadConfig({ cwd, env: {} }).faults, {
    spawnFailHosts: [],
    ignoreShutdownHosts: [],
    clusterProtocolVersion: 0,
    dropEventsFile: '',
    spawnDelayMs: 0,
  });
  t.deepEqual(problems({ STRATUS_FAULTS_SPAWN_FAIL_HOSTS: 'compute-1' }, { faults: { ignoreShutdownHosts: ['compute-2'] } }), [
    'faults.spawnFailHosts (env STRATUS_FAULTS_SPAWN_FAIL_HOSTS): a test-only fault hook, refused outside the test harness (test/harness/stratus-test.ts); got ["compute-1"]',
    'faults.ignoreShutdownHosts (override): a test-only fault hook, refused outside the test harness (test/harness/stratus-test.ts); got ["compute-2"]',
  ]);
  const allowed = loadConfig({ cwd, env: { STRATUS_FAULTS_SPAWN_FAIL_HOSTS: 'compute-1' }, allowTestOnly: true });
  t.deepEqual(allowed.faults.spawnFailHosts, ['compute-1']);
  t.notThrows(() => loadConfig({ cwd, env: {}, overrides: { faults: { spawnFailHosts: [] } } }), 'a hook left at its default is no hook');
});

test('DATABASE_URL and REDIS_URL are accepted; the STRATUS_ form wins', (t) => {
  t.is(loadConfig({ cwd, env: { DATABASE_URL: 'postgres://u@h/db' } }).databaseUrl, 'postgres://u@h/db');
  t.is(loadConfig({ cwd, env: { DATABASE_URL: 'postgres://a@h/x', STRATUS_DATABASE_URL: 'postgres://b@h/y' } }).databaseUrl, 'postgres://b@h/y');
  t.is(loadConfig({ cwd, env: { REDIS_URL: 'redis://10.0.0.1:6380' } }).redisUrl, 'redis://10.0.0.1:6380');
});

test('cluster settings: Redis, its TLS CA and key prefix, leases, bounds and placement weights from the environment', (t) => {
  const defaults = loadConfig({ cwd, env: {} });
  t.deepEqual(defaults.redis, { tlsCaFile: '', keyPrefix: 'stratus:' });
  t.deepEqual(defaults.cluster, {
    address: '',
    leaseMs: 5_000,
    sweepMs: 1_000,
    redeliverAfterMs: 30_000,
    maxPending: 10_000,
    sendWaitMs: 1_000,
    drainMs: 30_000,
    weights: { api: 1, scheduler: 1, compute: 1, console: 1, network: 1 },
  });
  const config = loadConfig({
    cwd,
    env: {
      STRATUS_ROLES: 'compute,network',
      REDIS_URL: 'rediss://stratus:secret@redis.example:6380/2',
      STRATUS_REDIS_TLS_CA_FILE: 'ca.pem',
      STRATUS_REDIS_KEY_PREFIX: 'cloud-b:',
      STRATUS_CLUSTER_ADDRESS: 'http://10.0.0.7:8780',
      STRATUS_CLUSTER_LEASE_MS: '1500',
      STRATUS_CLUSTER_SWEEP_MS: '250',
      STRATUS_CLUSTER_REDELIVER_AFTER_MS: '2000',
      STRATUS_CLUSTER_MAX_PENDING: '500',
      STRATUS_CLUSTER_SEND_WAIT_MS: '0',
      STRATUS_CLUSTER_DRAIN_MS: '8000',
      STRATUS_CLUSTER_WEIGHTS_COMPUTE: '2.5',
      STRATUS_CLUSTER_WEIGHTS_SCHEDULER: '0',
    },
  });
  t.deepEqual(config.roles, ['compute', 'network']);
  t.is(config.redisUrl, 'rediss://stratus:secret@redis.example:6380/2');
  t.deepEqual(config.redis, { tlsCaFile: join(cwd, 'ca.pem'), keyPrefix: 'cloud-b:' });
  t.like(config.cluster, {
    address: 'http://10.0.0.7:8780',
    leaseMs: 1_500,
    sweepMs: 250,
    redeliverAfterMs: 2_000,
    maxPending: 500,
    sendWaitMs: 0,
    drainMs: 8_000,
    weights: { api: 1, scheduler: 0, compute: 2.5, console: 1, network: 1 },
  });
});

test('cluster settings are refused with the key and its source when bad alone or together', (t) => {
  t.deepEqual(problems({ REDIS_URL: 'http://redis:6379' }), [
    'redisUrl (env REDIS_URL): expected a string matching ^$|^rediss?://, got "http://redis:6379"',
  ]);
  t.deepEqual(problems({ STRATUS_ROLES: 'api,storage' }), [
    'roles (env STRATUS_ROLES): expected a list of one of "api", "scheduler", "compute", "console", "network" without repeats (at least 1), got ["api","storage"]',
  ]);
  t.deepEqual(problems({ STRATUS_CLUSTER_LEASE_MS: '50', STRATUS_CLUSTER_SWEEP_MS: '20' }), [
    'cluster.leaseMs (env STRATUS_CLUSTER_LEASE_MS): expected integer >= 100, got 50',
  ]);
  t.deepEqual(problems({ STRATUS_CLUSTER_WEIGHTS_COMPUTE: '-1' }), [
    'cluster.weights.compute (env STRATUS_CLUSTER_WEIGHTS_COMPUTE): expected number >= 0, got -1',
  ]);
  t.deepEqual(problems({ STRATUS_CLUSTER_LEASE_MS: '1000' }, { cluster: { sweepMs: 2000 } }), [
    'cluster.sweepMs (override): expected at most cluster.leaseMs (1000, env STRATUS_CLUSTER_LEASE_MS), got 2000',
  ]);
  t.deepEqual(problems({ REDIS_URL: 'redis://r:6379', STRATUS_REDIS_TLS_CA_FILE: '/etc/ca.pem' }), [
    'redis.tlsCaFile (env STRATUS_REDIS_TLS_CA_FILE): only for a rediss:// redisUrl, got redisUrl "redis://r:6379" (env REDIS_URL)',
  ]);
  t.deepEqual(problems({ STRATUS_REDIS_KEY_PREFIX: 'a b' }), [
    'redis.keyPrefix (env STRATUS_REDIS_KEY_PREFIX): expected a string matching ^[A-Za-z0-9:._-]{1,64}$, got "a b"',
  ]);
  t.deepEqual(problems({ STRATUS_CLUSTER_ADDRESS: '10.0.0.7:8780' }), [
    'cluster.address (env STRATUS_CLUSTER_ADDRESS): expected a string matching ^$|^https?://, got "10.0.0.7:8780"',
  ]);
});

test('a config file is a layer under the environment', (t) => {
  const file = join(cwd, 'custom.json');
  writeFileSync(file, JSON.stringify({ nodeId: 'from-file', supervision: { maxRestarts: 2, withinMs: 5000 } }));
  const config = loadConfig({ cwd, env: { STRATUS_CONFIG: file, STRATUS_SUPERVISION_MAX_RESTARTS: '4' } });
  t.is(config.nodeId, 'from-file');
  t.is(config.supervision.withinMs, 5000);
  t.is(config.supervision.maxRestarts, 4, 'the environment beats the file');
  writeFileSync(file, '{ not json');
  t.throws(() => loadConfig({ cwd, env: { STRATUS_CONFIG: file } }), { instanceOf: ConfigError, message: /custom\.json/ });
});

test('stratus.config.json in the working directory is read; an explicit file beats STRATUS_CONFIG', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-config-cwd-'));
  writeFileSync(join(dir, 'stratus.config.json'), JSON.stringify({ listen: { compute: 18774 } }));
  t.is(loadConfig({ cwd: dir, env: {} }).listen.compute, 18774);
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ listen: { compute: 28774 } }));
  t.is(loadConfig({ cwd: dir, env: { STRATUS_CONFIG: 'missing.json' }, file: 'other.json' }).listen.compute, 28774);
  t.is(loadConfig({ cwd: dir, env: {}, overrides: { listen: { compute: 38774 } } }).listen.compute, 38774, 'overrides beat the file');
});

test('bad values are refused with the key, where it came from and what was expected', (t) => {
  t.deepEqual(problems({ STRATUS_SUPERVISION_MAX_RESTARTS: 'abc' }), [
    'supervision.maxRestarts (env STRATUS_SUPERVISION_MAX_RESTARTS): expected integer >= 0, got "abc"',
  ]);
  t.regex(problems({ STRATUS_LISTEN_OPS: '70000' })[0], /^listen\.ops \(env STRATUS_LISTEN_OPS\): expected integer >= 0 and <= 65535, got 70000$/);
  t.regex(problems({ STRATUS_ROLES: 'api,db' })[0], /^roles .*one of "api", "scheduler", "compute", "console".*got \["api","db"\]$/);
  t.regex(problems({ DATABASE_URL: 'mysql://x' })[0], /^databaseUrl \(env DATABASE_URL\): expected postgres:\/\/… or sqlite:<path>/);
  t.regex(
    problems({ STRATUS_SUPERVISION_BACKOFF_BASE_MS: '500', STRATUS_SUPERVISION_BACKOFF_MAX_MS: '100' })[0],
    /^supervision\.backoffMaxMs .*at least/,
  );
  t.deepEqual(problems({}, { listen: { compte: 1 } }), ['listen.compte (override): unknown key']);
  const file = join(cwd, 'unknown.json');
  writeFileSync(file, JSON.stringify({ superVision: {} }));
  t.regex(problems({ STRATUS_CONFIG: file })[0], /^superVision \(file .*unknown\.json\): unknown key$/);
});

test('a config file cannot reach Object.prototype, and odd shapes are errors rather than crashes', (t) => {
  const file = join(cwd, 'hostile.json');
  writeFileSync(file, '{"__proto__": {"polluted": true}, "listen": {"constructor": {"polluted": true}}}');
  t.deepEqual(
    problems({ STRATUS_CONFIG: file }).map((p) => p.replace(/ \(.*\)/, '')),
    ['__proto__: unknown key', 'listen.constructor: unknown key'],
  );
  t.is(({} as Record<string, unknown>).polluted, undefined);
  writeFileSync(file, JSON.stringify({ listen: 5 }));
  t.is(
    loadConfig({ cwd, env: { STRATUS_CONFIG: file, STRATUS_LISTEN_OPS: '9' } }).listen.ops,
    9,
    'a section from the environment replaces a scalar from the file',
  );
  t.regex(problems({ STRATUS_CONFIG: file })[0], /^listen \(file .*\): expected an object, got 5$/);
  t.regex(problems({ STRATUS_LISTEN_OPS: '0x10' })[0], /^listen\.ops \(env STRATUS_LISTEN_OPS\): expected integer .*got "0x10"$/);
});

test('formatConfigError lists every problem for the binary', (t) => {
  const error = t.throws(() => loadConfig({ cwd, env: { STRATUS_LISTEN_OPS: '-1', STRATUS_LOG_LEVEL: 'loud' } }));
  t.is(
    formatConfigError(error),
    [
      'stratus: configuration error:',
      '  - listen.ops (env STRATUS_LISTEN_OPS): expected integer >= 0 and <= 65535, got -1',
      '  - log.level (env STRATUS_LOG_LEVEL): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ].join('\n'),
  );
});

test('every key has an environment variable derived from its path', (t) => {
  const keys = configKeys();
  t.true(keys.some((k) => k.path === 'supervision.maxRestarts' && k.env === 'STRATUS_SUPERVISION_MAX_RESTARTS'));
  t.true(keys.some((k) => k.path === 'nodeId' && k.env === 'STRATUS_NODE_ID'));
  t.true(keys.some((k) => k.path === 'listen.compute' && k.env === 'STRATUS_LISTEN_COMPUTE' && k.default === 8774));
  t.true(
    keys.every((k) => k.description.length > 0),
    'every key is described',
  );
});

test('the README documents every configuration key', (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const key of configKeys()) t.true(readme.includes(`\`${key.env}\``), `${key.env} is in the README`);
});

test('myIp is an IP address or empty (then derived from the machine)', (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'stratus-config-'));
  t.is(loadConfig({ cwd, env: { STRATUS_MY_IP: '10.1.2.3' } }).myIp, '10.1.2.3');
  t.is(loadConfig({ cwd, env: { STRATUS_MY_IP: 'fd00::5' } }).myIp, 'fd00::5');
  t.is(loadConfig({ cwd, env: {} }).myIp, '');
  t.regex(problems({ STRATUS_MY_IP: 'compute.example' })[0], /^myIp \(env STRATUS_MY_IP\)/);
});
