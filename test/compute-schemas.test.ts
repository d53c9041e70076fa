import test from 'ava';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { pino } from 'pino';
import { listen } from '../http/listen.js';
import { correlation } from '../http/correlation.js';
import { microversion } from '../http/compute/microversion.js';
import { checkResponses } from './oracle/check-responses.js';
import { ResponseOracle, type ResponseSample } from './oracle/response-oracle.js';
import { silentLogger } from '../runtime/logger.js';
import { openstack } from './helpers/cloud-process.js';
import { boot, settled, startComputeCloud, TINY_IMAGE_ID, type ComputeCloud } from './helpers/compute.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';
import { novaRefused } from './helpers/refusals.js';

// The response-schema oracle: Tempest's schemas (Debian's python3-tempest, up to 2.79) with
// Stratus's deltas above, run by Tempest's own validator. First the oracle alone on
// hand-made bodies, then a real cloud, whose every response the test helpers have checked.

let oracle: ResponseOracle;
let c: ComputeCloud | undefined;

test.before(async () => {
  oracle = await ResponseOracle.start(silentLogger());
});
test.after.always(async () => {
  await oracle?.stop();
  await c?.stop();
});

const UUID = '3f1a5f4e-8a7b-4c1d-9e2f-0a1b2c3d4e5f';
const link = (path: string) => [
  { rel: 'self', href: `http://127.0.0.1:8774/v2.1/${path}` },
  { rel: 'bookmark', href: `http://127.0.0.1:8774/${path}` },
];
const oldFlavor = { id: '1', links: [{ rel: 'bookmark', href: 'http://127.0.0.1:8774/flavors/1' }] };
const embeddedFlavor = { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny' };

/** A server as Nova's detail shows it to a member at 2.1, plus what a test adds. */
const server = (extra: Record<string, unknown> = {}) => ({
  id: UUID,
  name: 'web',
  status: 'ACTIVE',
  tenant_id: 'p',
  user_id: 'u',
  metadata: {},
  hostId: 'abc',
  image: { id: UUID, links: [{ rel: 'bookmark', href: `http://127.0.0.1:8774/images/${UUID}` }] },
  flavor: oldFlavor,
  created: '2026-11-25T12:00:00Z',
  updated: '2026-11-25T12:00:01Z',
  addresses: {},
  accessIPv4: '',
  accessIPv6: '',
  links: link(`servers/${UUID}`),
  'OS-DCF:diskConfig': 'MANUAL',
  progress: 0,
  'OS-EXT-AZ:availability_zone': 'nova',
  config_drive: '',
  key_name: null,
  'OS-SRV-USG:launched_at': '2026-11-25T12:00:01.000000',
  'OS-SRV-USG:terminated_at': null,
  'OS-EXT-STS:task_state': null,
  'OS-EXT-STS:vm_state': 'active',
  'OS-EXT-STS:power_state': 1,
  'os-extended-volumes:volumes_attached': [],
  security_groups: [{ name: 'default' }],
  ...extra,
});

const sample = (version: string, path: string, body: unknown, status = 200, method = 'GET', action?: string): ResponseSample => ({
  method,
  path,
  version,
  status,
  headers: { 'content-type': 'application/json' },
  body,
  ...(action ? { action } : {}),
});
const show = (version: string, body: Record<string, unknown>) => oracle.check(sample(version, `/v2.1/servers/${UUID}`, { server: body }));
const detail = (version: string, body: Record<string, unknown>) => oracle.check(sample(version, '/v2.1/servers/detail', { servers: [body] }));

test('the route table names a Tempest schema for every route, and every delta a route', async (t) => {
  const { problems, routes } = await oracle.selfcheck();
  t.deepEqual(problems, []);
  t.true(routes > 150);
});

test('a server detail without locked fails at 2.9 and passes at 2.8; a wrong type fails', async (t) => {
  t.like(await detail('2.8', server()), { ok: true, route: 'GET /v2.1/servers/detail', schema: 'tempest ServersClient.list_servers_detail (v2_8)' });
  const missing = await detail('2.9', server());
  t.regex(missing.violation!, /'locked' is a required property/);
  t.like(await detail('2.9', server({ locked: false })), { ok: true });
  t.regex((await detail('2.9', server({ locked: 'no' }))).violation!, /at servers\/0\/locked: 'no' is not of type 'boolean'/);
  // Tempest forgets `locked` from 2.16 on; Stratus's correction keeps requiring it, as Nova always shows it.
  t.regex((await show('2.16', server())).violation!, /'locked' is a required property/);
});

test('description from 2.19, tags from 2.26, the embedded flavor at 2.47', async (t) => {
  const at216 = { locked: false };
  t.like(await show('2.18', server(at216)), { ok: true });
  t.regex((await show('2.18', server({ ...at216, description: null }))).violation!, /'description' was unexpected/);
  t.regex((await show('2.19', server(at216))).violation!, /'description' is a required property/);
  const at219 = { ...at216, description: null };
  t.like(await show('2.19', server(at219)), { ok: true, schema: 'tempest ServersClient.get_server (v2_19) + stratus 2.9' });
  t.regex((await show('2.26', server(at219))).violation!, /'tags' is a required property/);
  const at226 = { ...at219, tags: [] };
  t.like(await show('2.46', server(at226)), { ok: true });
  t.regex((await show('2.47', server(at226))).violation!, /at server\/flavor/);
  t.like(await show('2.47', server({ ...at226, flavor: embeddedFlavor })), { ok: true });
  t.regex((await show('2.46', server({ ...at226, flavor: embeddedFlavor }))).violation!, /at server\/flavor/);
  t.regex((await show('2.1', { ...server(), id: undefined })).violation!, /'id' is a required property/);
});

test('above 2.79 the newest Tempest schema applies with Stratus’s deltas: the hostname at 2.90', async (t) => {
  const at279 = server({ locked: false, description: null, tags: [], flavor: embeddedFlavor, trusted_image_certificates: null, locked_reason: null });
  const at289 = await detail('2.89', at279);
  t.like(at289, { ok: true, schema: 'tempest ServersClient.list_servers_detail (v2_79) + stratus 2.9' });
  const at290 = await detail('2.90', at279);
  t.is(at290.schema, 'tempest ServersClient.list_servers_detail (v2_79) + stratus 2.9, 2.90');
  t.regex(at290.violation!, /'OS-EXT-SRV-ATTR:hostname' is a required property/);
  t.like(await detail('2.93', { ...at279, 'OS-EXT-SRV-ATTR:hostname': 'web' }), { ok: true });
  t.like(await detail('2.79', at279), { ok: true, schema: 'tempest ServersClient.list_servers_detail (v2_79) + stratus 2.9' });
});

test('hypervisors at 2.88: the resource figures and cpu_info are gone, uptime is there, statistics and uptime are 404', async (t) => {
  const service = { id: UUID, host: 'compute-1', disabled_reason: null };
  const base = {
    id: UUID,
    hypervisor_hostname: 'compute-1',
    state: 'up',
    status: 'enabled',
    hypervisor_type: 'QEMU',
    hypervisor_version: 9000000,
    host_ip: '127.0.0.1',
    service,
  };
  const figures = {
    vcpus: 16,
    memory_mb: 32768,
    local_gb: 500,
    vcpus_used: 0,
    memory_mb_used: 0,
    local_gb_used: 0,
    free_ram_mb: 32768,
    free_disk_gb: 500,
    current_workload: 0,
    running_vms: 0,
    disk_available_least: 500,
    cpu_info: {},
  };
  const hv = (version: string, body: object) => oracle.check(sample(version, `/v2.1/os-hypervisors/${UUID}`, { hypervisor: body }));
  t.like(await hv('2.87', { ...base, ...figures }), { ok: true, schema: 'tempest HypervisorClient.get_hypervisor (v2_53)' });
  t.regex((await hv('2.88', { ...base, ...figures })).violation!, /Additional properties are not allowed/);
  t.regex((await hv('2.88', base)).violation!, /'uptime' is a required property/);
  t.like(await hv('2.88', { ...base, uptime: null }), { ok: true, schema: 'tempest HypervisorClient.get_hypervisor (v2_53) + stratus 2.88' });
  // Before 2.28 cpu_info is Nova's JSON text, an object from then on.
  t.regex((await hv('2.28', { ...base, ...figures, cpu_info: '{}' })).violation!, /at hypervisor\/cpu_info/);
  const statistics = { count: 1, ...figures, cpu_info: undefined };
  t.like(await oracle.check(sample('2.87', '/v2.1/os-hypervisors/statistics', { hypervisor_statistics: statistics })), { ok: true });
  t.regex(
    (await oracle.check(sample('2.88', '/v2.1/os-hypervisors/statistics', { hypervisor_statistics: statistics }))).violation!,
    /only up to 2\.87/,
  );
  t.like(await oracle.check(sample('2.88', '/v2.1/os-hypervisors/statistics', { itemNotFound: { code: 404, message: 'x' } }, 404)), { ok: true });
});

test('keypairs at 2.92, instance actions at 2.84, migrations at 2.80', async (t) => {
  const keypair = { name: 'k', type: 'ssh', fingerprint: 'f', public_key: 'ssh-ed25519 AAAA', user_id: 'u' };
  const create = (version: string, body: object) => oracle.check(sample(version, '/v2.1/os-keypairs', { keypair: body }, 201, 'POST'));
  t.like(await create('2.91', { ...keypair, private_key: 'PRIVATE' }), { ok: true });
  t.regex((await create('2.92', { ...keypair, private_key: 'PRIVATE' })).violation!, /'private_key' was unexpected/);
  t.like(await create('2.92', keypair), { ok: true, schema: 'tempest KeyPairsClient.create_keypair (v2_2) + stratus 2.92' });

  const event = {
    event: 'compute_stop_instance',
    start_time: '2026-11-25T12:00:00.000000',
    finish_time: null,
    result: null,
    host: 'compute-1',
    hostId: 'abc',
    details: null,
  };
  const action = {
    action: 'stop',
    instance_uuid: UUID,
    request_id: 'req-1',
    user_id: 'u',
    project_id: 'p',
    start_time: '2026-11-25T12:00:00.000000',
    message: null,
    updated_at: '2026-11-25T12:00:00.000000',
    events: [event],
  };
  const actionAt = (version: string) => oracle.check(sample(version, `/v2.1/servers/${UUID}/os-instance-actions/req-1`, { instanceAction: action }));
  t.regex((await actionAt('2.83')).violation!, /'details' was unexpected/);
  t.like(await actionAt('2.84'), { ok: true });

  const migration = {
    id: 1,
    uuid: UUID,
    status: 'done',
    instance_uuid: UUID,
    source_node: 'a',
    source_compute: 'a',
    dest_node: 'b',
    dest_compute: 'b',
    dest_host: '127.0.0.1',
    old_instance_type_id: 1,
    new_instance_type_id: 1,
    created_at: '2026-11-25T12:00:00.000000',
    updated_at: null,
    migration_type: 'migration',
  };
  const migrations = (version: string, body: object) => oracle.check(sample(version, '/v2.1/os-migrations', { migrations: [body] }));
  t.like(await migrations('2.79', migration), { ok: true });
  t.regex((await migrations('2.80', migration)).violation!, /'user_id' is a required property/);
  t.like(await migrations('2.80', { ...migration, user_id: 'u', project_id: null }), { ok: true });
});

test('actions, status codes and faults', async (t) => {
  t.like(await oracle.check(sample('2.1', `/v2.1/servers/${UUID}/action`, null, 202, 'POST', 'os-stop')), {
    ok: true,
    route: 'POST /v2.1/servers/{server_id}/action [os-stop]',
    schema: 'tempest ServersClient.server_actions_common_schema (v2_1)',
  });
  t.regex(
    (await oracle.check(sample('2.1', `/v2.1/servers/${UUID}/action`, null, 200, 'POST', 'os-stop'))).violation!,
    /status 200, Tempest expects \[202\]/,
  );
  t.regex((await oracle.check(sample('2.1', `/v2.1/servers/${UUID}/action`, { ok: 1 }, 202, 'POST', 'os-stop'))).violation!, /body should not exist/);
  t.regex((await oracle.check(sample('2.1', `/v2.1/servers/${UUID}`, { server: server() }, 202))).violation!, /status 202, Tempest expects \[200\]/);
  t.like(await oracle.check(sample('2.1', '/v2.1/servers', { reservation_id: 'r-1234abcd' }, 202, 'POST')), {
    ok: true,
    schema: 'stratus create_server_reservation',
  });
  // Nova has no name for 406: it is a computeFault.
  t.like(
    await oracle.check(sample('2.1', '/v2.1/flavors', { computeFault: { code: 406, message: 'Version 2.94 is not supported by the API.' } }, 406)),
    { ok: true },
  );
  t.regex(
    (await oracle.check(sample('2.1', '/v2.1/flavors', { notAcceptable: { code: 406, message: 'x' } }, 406))).violation!,
    /'notAcceptable' was unexpected/,
  );
  t.regex(
    (await oracle.check(sample('2.1', '/v2.1/flavors/x', { itemNotFound: { code: 400, message: 'x' } }, 404))).violation!,
    /fault body invalid at itemNotFound\/code/,
  );
  t.like(await oracle.check(sample('2.1', '/v2.1/servers', { error: { code: 401, title: 'Unauthorized', message: 'x' } }, 401)), { ok: true });
  t.regex((await oracle.check(sample('2.19', `/v2.1/servers/${UUID}/tags`, { tags: [] }))).violation!, /only from 2\.26/);
  const unknown = await oracle.check(sample('2.1', `/v2.1/os-unheard-of/${UUID}`, {}));
  t.like(unknown, { route: 'GET /v2.1/os-unheard-of/{id}', unchecked: 'no Tempest schema for this route' });
  t.is(unknown.ok ?? unknown.violation, undefined);
  t.true(oracle.coverage().unchecked.some((u) => u.route === 'GET /v2.1/os-unheard-of/{id}'));
});

test('the middleware turns a violating response into a 500 naming the schema, and logs it', async (t) => {
  const lines: any[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  const app = new Koa();
  app.use(correlation(logger));
  app.use(checkResponses(oracle));
  app.use(microversion);
  app.use((ctx) => {
    if (ctx.path.endsWith('/bad')) ctx.body = { server: server({ status: 7 }) };
    else {
      ctx.status = 201;
      ctx.set('Location', 'x');
      ctx.body = { servers: [server()] };
    }
  });
  const http = await listen(app, '127.0.0.1', 0);
  try {
    const bad = await fetch(`${http.url}/v2.1/servers/bad`);
    t.is(bad.status, 500);
    const body = await bad.json();
    t.regex(
      body.computeFault.message,
      /^The 200 response of GET \/v2\.1\/servers\/\{server_id\} at 2\.1 violates tempest ServersClient\.get_server \(v2_1\): body invalid at server\/status: 7 is not of type 'string'/,
    );
    t.like(
      lines.find((l) => l.msg === 'compute response violates its schema'),
      { level: 50, route: 'GET /v2.1/servers/{server_id}', version: '2.1' },
    );
    const wrongStatus = await fetch(`${http.url}/v2.1/servers/detail`);
    t.is(wrongStatus.status, 500);
    t.is(wrongStatus.headers.get('location'), null);
    const unknown = await fetch(`${http.url}/v2.1/nothing-here`);
    t.is(unknown.status, 201, 'a route without a schema is let through');
    t.true(lines.some((l) => l.msg === 'compute response has no schema' && l.level === 20));
  } finally {
    await http.close();
  }
});

// Versions where the views change what they show; each is asked as admin and as a member.
const VERSIONS = ['2.1', '2.3', '2.9', '2.16', '2.19', '2.26', '2.47', '2.53', '2.73', '2.79', '2.88', '2.90', '2.93'];

test.serial('a real cloud answers correctly shaped responses at every version, as admin and member', async (t) => {
  c = await startComputeCloud('compute-schemas', { libvirt: { simulatedHosts: 2 } });
  const checker = c.oracle!;
  const call = async (version: string, method: string, path: string, token: string, body?: unknown) => {
    const r = await c!.nova.call(method, path, { token, body, headers: { 'OpenStack-API-Version': `compute ${version}` } });
    t.not(r.status, 500, `${method} ${path} at ${version}: ${JSON.stringify(r.body)}`);
    return r;
  };
  const first = await boot(c.nova, c.demo, 'schema-0');
  t.is(first.status, 202);
  await settled(c.nova, c.admin);
  const id = first.body.server.id;
  const booted: string[] = [id];
  for (const version of VERSIONS) {
    for (const token of [c.admin, c.demo]) {
      for (const path of ['/', '/v2.1', '/v2.1/']) await call(version, 'GET', path, token);
      for (const path of [
        'flavors',
        'flavors/detail',
        'flavors/1',
        'flavors/1/os-extra_specs',
        'servers',
        'servers/detail',
        `servers/${id}`,
        'os-availability-zone',
        'limits',
      ]) {
        t.is((await call(version, 'GET', `/v2.1/${path}`, token)).status, 200, `${path} at ${version}`);
      }
      novaRefused(
        t,
        await call(version, 'GET', '/v2.1/servers/00000000-0000-0000-0000-000000000000', token),
        404,
        'Instance 00000000-0000-0000-0000-000000000000 could not be found.',
      );
    }
    for (const path of ['servers/detail?all_tenants=1', 'os-hypervisors', 'os-hypervisors/detail', 'os-services', 'os-availability-zone/detail']) {
      t.is((await call(version, 'GET', `/v2.1/${path}`, c.admin)).status, 200, `${path} at ${version}`);
    }
    const hypervisors = (await call(version, 'GET', '/v2.1/os-hypervisors', c.admin)).body.hypervisors;
    t.is((await call(version, 'GET', `/v2.1/os-hypervisors/${hypervisors[0].id}`, c.admin)).status, 200);
    const minor = Number(version.split('.')[1]);
    t.is((await call(version, 'GET', '/v2.1/os-hypervisors/statistics', c.admin)).status, minor >= 88 ? 404 : 200);
    const networks = minor >= 37 ? { networks: 'none' } : {};
    const created = await call(version, 'POST', '/v2.1/servers', c.demo, {
      server: { name: `schema-${version}`, imageRef: TINY_IMAGE_ID, flavorRef: '1', ...networks },
    });
    t.is(created.status, 202, `boot at ${version}: ${JSON.stringify(created.body)}`);
    booted.push(created.body.server.id);
  }
  await settled(c.nova, c.admin);
  for (const version of ['2.1', '2.93']) {
    for (const path of ['servers/detail', `servers/${booted[1]}`]) await call(version, 'GET', `/v2.1/${path}`, c.demo);
  }
  for (const [i, server] of booted.entries())
    t.is((await call(VERSIONS[i % VERSIONS.length], 'DELETE', `/v2.1/servers/${server}`, c.demo)).status, 204);

  const { checked, unchecked, violations } = checker.coverage();
  t.deepEqual(violations, []);
  t.deepEqual(unchecked, []);
  const routes = new Set(checked.map((r) => r.route));
  for (const route of [
    'GET /',
    'GET /v2.1',
    'GET /v2.1/flavors',
    'GET /v2.1/flavors/detail',
    'GET /v2.1/flavors/{flavor_id}',
    'GET /v2.1/flavors/{flavor_id}/os-extra_specs',
    'GET /v2.1/servers',
    'GET /v2.1/servers/detail',
    'GET /v2.1/servers/{server_id}',
    'POST /v2.1/servers',
    'DELETE /v2.1/servers/{server_id}',
    'GET /v2.1/os-hypervisors',
    'GET /v2.1/os-hypervisors/detail',
    'GET /v2.1/os-hypervisors/{hypervisor_id}',
    'GET /v2.1/os-hypervisors/statistics',
    'GET /v2.1/os-services',
    'GET /v2.1/os-availability-zone',
    'GET /v2.1/os-availability-zone/detail',
    'GET /v2.1/limits',
  ]) {
    t.true(routes.has(route), `${route} was checked`);
  }
  // Tempest's 2.1 module applied at 2.1; above 2.79 its newest, with Stratus's 2.90 delta.
  const schemas = new Set(checked.filter((r) => r.route === 'GET /v2.1/servers/detail').map((r) => r.schema));
  t.true(schemas.has('tempest ServersClient.list_servers_detail (v2_1)'));
  t.true(schemas.has('tempest ServersClient.list_servers_detail (v2_79) + stratus 2.9, 2.90'));
});

test.serial('stopping the cloud stops its oracle process', async (t) => {
  const pid = c?.oracle?.pid;
  t.truthy(pid);
  await c!.stop();
  c = undefined;
  t.throws(() => process.kill(pid!, 0), { code: 'ESRCH' });
});

test.serial('a cloud process checks what the CLI gets and logs, when it stops, what it checked', async (t) => {
  const cloud = await startTestCloud('compute-schemas-cli', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1' });
  let stopped = false;
  try {
    const started = cloud.cloud.lines.find((l) => l.msg === 'compute response oracle started');
    t.truthy(started?.pid);
    for (const args of [
      ['flavor', 'list'],
      ['server', 'list'],
      ['hypervisor', 'list'],
      ['compute', 'service', 'list'],
    ]) {
      const r = await openstack(cloud.cloudsYaml, ['--os-cloud', 'stratus', ...args, '-f', 'json']);
      t.is(r.code, 0, r.stderr);
    }
    await stopTestCloud(cloud);
    stopped = true;
    const summary = cloud.cloud.lines.find((l) => l.msg === 'compute response check summary')!;
    t.is(summary?.violations, 0);
    for (const route of [
      'GET /v2.1',
      'GET /v2.1/flavors/detail',
      'GET /v2.1/servers/detail',
      'GET /v2.1/os-hypervisors/detail',
      'GET /v2.1/os-services',
    ]) {
      t.true(
        summary.checked.some((line: string) => line.startsWith(`${route} — tempest `)),
        `${route} checked`,
      );
    }
    t.throws(() => process.kill(started!.pid, 0), { code: 'ESRCH' });
  } finally {
    if (!stopped) await stopTestCloud(cloud);
  }
});
