import test from 'ava';
import { execFileSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../runtime/clock.js';
import { ref } from '../runtime/ref.js';
import { boot, settled, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';

// The admin side of the Compute API (os-hypervisors, os-services, os-availability-zone) against
// two simulated hypervisors, on a simulated clock so services can be left silent past
// timeouts.serviceDownMs. A third host, "ghost", is registered by hand on libvirt's in-library
// test driver: nothing reports for it, so it is the one that goes down and gets deleted.
const clock = new SimulatedClock(Date.UTC(2026, 10, 25, 12));
let c: ComputeCloud;

test.before(async () => {
  c = await startComputeCloud('compute-admin', { libvirt: { simulatedHosts: 2 } }, clock);
});
test.after.always(async () => {
  await c?.stop();
});

const at = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });
const get = (path: string, version = '2.1', token = c.admin) => c.nova.call('GET', `/v2.1${path}`, { token, headers: at(version) });
const put = (path: string, body: unknown, version = '2.1', token = c.admin) =>
  c.nova.call('PUT', `/v2.1${path}`, { token, headers: at(version), body });
const del = (path: string, version = '2.1', token = c.admin) => c.nova.call('DELETE', `/v2.1${path}`, { token, headers: at(version) });
const fault = (status: number, message: string) => {
  const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 501: 'notImplemented' }[status]!;
  return { status, body: { [name]: { code: status, message } } };
};
const outcome = (r: { status: number; body: unknown }) => ({ status: r.status, body: r.body });
const notFound = fault(404, 'The resource could not be found.');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

const hypervisor = async (name: string, version = '2.1') =>
  (await get('/os-hypervisors/detail', version)).body.hypervisors.find((h: any) => h.hypervisor_hostname === name);
const service = async (host: string, binary = 'nova-compute', version = '2.11') =>
  (await get(`/os-services?host=${host}&binary=${binary}`, version)).body.services[0];
const hostOf = (server: any) => server['OS-EXT-SRV-ATTR:host'];

async function registerGhost(): Promise<void> {
  await c.cloud.node.ask(ref('host', 'ghost'), 'register', {
    availability_zone: 'ghost-az',
    hypervisor_type: 'test',
    libvirt_uri: 'test:///default',
    vcpus: 4,
    memory_mb: 4096,
    local_gb: 40,
    cpu_allocation_ratio: 1,
    ram_allocation_ratio: 1,
    disk_allocation_ratio: 1,
  });
}

/** Moves simulated time in report-interval steps, letting each round of heartbeats commit. */
async function pass(ms: number): Promise<void> {
  const step = c.config.timeouts.reportIntervalMs;
  for (let done = 0; done < ms; done += step) {
    await clock.advance(Math.min(step, ms - done));
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.serial('every admin route refuses a member with Nova’s policy message; the zone list is for everyone', async (t) => {
  const id = (await hypervisor('compute-1')).id;
  const refusals: Array<[string, Promise<{ status: number; body: unknown }>]> = [
    ['os-hypervisors:list', get('/os-hypervisors', '2.1', c.demo)],
    ['os-hypervisors:list-detail', get('/os-hypervisors/detail', '2.1', c.demo)],
    ['os-hypervisors:statistics', get('/os-hypervisors/statistics', '2.1', c.demo)],
    ['os-hypervisors:show', get(`/os-hypervisors/${id}`, '2.1', c.demo)],
    ['os-hypervisors:uptime', get(`/os-hypervisors/${id}/uptime`, '2.1', c.demo)],
    ['os-hypervisors:search', get('/os-hypervisors/compute/search', '2.1', c.demo)],
    ['os-hypervisors:servers', get('/os-hypervisors/compute/servers', '2.1', c.demo)],
    ['os-services:list', get('/os-services', '2.1', c.demo)],
    ['os-services:update', put('/os-services/disable', { host: 'compute-1', binary: 'nova-compute' }, '2.1', c.demo)],
    ['os-services:update', put(`/os-services/${(await service('compute-1', 'nova-compute', '2.53')).id}`, { status: 'disabled' }, '2.53', c.demo)],
    ['os-services:delete', del('/os-services/1', '2.1', c.demo)],
    ['os-availability-zone:detail', get('/os-availability-zone/detail', '2.1', c.demo)],
    ['os-aggregates:index', get('/os-aggregates', '2.1', c.demo)],
  ];
  for (const [rule, call] of refusals) {
    t.deepEqual(outcome(await call), fault(403, `Policy doesn't allow os_compute_api:${rule} to be performed.`), rule);
  }
  t.is((await service('compute-1')).status, 'enabled', 'the refused update changed nothing');
  const zones = await get('/os-availability-zone', '2.1', c.demo);
  t.is(zones.status, 200);
  t.deepEqual(zones.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] });
});

test.serial('hypervisors: integer ids before 2.53, UUIDs from 2.53; the detail and show views; cpu_info an object from 2.28', async (t) => {
  const list = await get('/os-hypervisors');
  t.deepEqual(
    list.body.hypervisors.map((h: any) => [h.hypervisor_hostname, h.state, h.status]),
    [
      ['compute-1', 'up', 'enabled'],
      ['compute-2', 'up', 'enabled'],
    ],
  );
  t.true(list.body.hypervisors.every((h: any) => Number.isInteger(h.id) && Object.keys(h).length === 4));
  t.false('hypervisors_links' in list.body);
  const [one] = (await get('/os-hypervisors/detail', '2.27')).body.hypervisors;
  t.like(one, {
    hypervisor_hostname: 'compute-1',
    hypervisor_type: 'TEST',
    vcpus: 16,
    memory_mb: 32768,
    local_gb: 500,
    vcpus_used: 0,
    free_ram_mb: 32768,
    free_disk_gb: 500,
    current_workload: 0,
    running_vms: 0,
    disk_available_least: 500,
    cpu_info: '{}',
    service: { host: 'compute-1', disabled_reason: null },
  });
  t.true(Number.isInteger(one.service.id));
  t.not(one.service.id, one.id, 'the service and the compute node are two records');
  // What the hypervisor itself says (read here through virsh), and this machine's address, not constants.
  const socket = join(c.config.stateDir, 'hv', '1', 'libvirt-sock');
  const said = /^Running hypervisor: (\S+) (\d+)\.(\d+)\.(\d+)/m.exec(
    execFileSync('virsh', ['-c', `test+unix:///default?socket=${socket}`, 'version'], { encoding: 'utf8' }),
  )!;
  t.is(one.hypervisor_type, said[1]);
  t.is(one.hypervisor_version, Number(said[2]) * 1_000_000 + Number(said[3]) * 1_000 + Number(said[4]));
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === 'IPv4')
    .map((a) => a.address);
  t.true(addresses.includes(one.host_ip), `${one.host_ip} is an address of this machine`);
  t.not(one.host_ip, '127.0.0.1', 'a machine with a routed interface reports that address, as Nova’s my_ip does');
  t.deepEqual((await get('/os-hypervisors/detail', '2.28')).body.hypervisors[0].cpu_info, {});
  const shown = await get(`/os-hypervisors/${one.id}`, '2.27');
  t.deepEqual(shown.body, { hypervisor: one });

  const v252 = await hypervisor('compute-1', '2.52');
  const v253 = await hypervisor('compute-1', '2.53');
  t.is(v252.id, one.id);
  t.regex(v253.id, UUID);
  t.regex(v253.service.id, UUID);
  t.deepEqual((await get(`/os-hypervisors/${v253.id}`, '2.53')).body.hypervisor, v253);
  t.deepEqual(await hypervisor('compute-1', '2.53'), v253, 'ids are stable');

  // Bad ids: a 404 before 2.53 (not an integer, or no such node); from 2.53 a 400 for what is no UUID.
  t.deepEqual(outcome(await get('/os-hypervisors/compute-1')), fault(404, "Hypervisor with ID 'compute-1' could not be found."));
  t.deepEqual(outcome(await get('/os-hypervisors/7', '2.52')), fault(404, "Hypervisor with ID '7' could not be found."));
  t.deepEqual(outcome(await get(`/os-hypervisors/${v253.id}`, '2.52')), fault(404, `Hypervisor with ID '${v253.id}' could not be found.`));
  t.deepEqual(outcome(await get(`/os-hypervisors/${one.id}`, '2.53')), fault(400, `Invalid uuid ${one.id}`));
  t.deepEqual(outcome(await get(`/os-hypervisors/${UNKNOWN_UUID}`, '2.53')), fault(404, `Hypervisor with ID '${UNKNOWN_UUID}' could not be found.`));
  t.deepEqual(
    outcome(await get(`/os-hypervisors/${v253.id}?verbose=1`, '2.53')),
    fault(400, "Additional properties are not allowed ('verbose' was unexpected)"),
  );
});

test.serial('hypervisors page with limit and marker from 2.33, with a next link while pages are full', async (t) => {
  const ids = (await get('/os-hypervisors', '2.33')).body.hypervisors.map((h: any) => h.id);
  t.is((await get('/os-hypervisors?limit=1', '2.32')).body.hypervisors.length, 2, 'before 2.33 there is no paging');
  const first = await get('/os-hypervisors?limit=1', '2.33');
  t.deepEqual(
    first.body.hypervisors.map((h: any) => h.id),
    [ids[0]],
  );
  t.deepEqual(first.body.hypervisors_links, [{ rel: 'next', href: `${c.cloud.compute!.url}/v2.1/os-hypervisors?limit=1&marker=${ids[0]}` }]);
  const second = await get(`/os-hypervisors/detail?limit=1&marker=${ids[0]}&ignored=yes`, '2.33');
  t.deepEqual(
    second.body.hypervisors.map((h: any) => h.hypervisor_hostname),
    ['compute-2'],
  );
  t.is(second.body.hypervisors_links[0].href, `${c.cloud.compute!.url}/v2.1/os-hypervisors/detail?limit=1&marker=${ids[1]}`);
  const last = await get(`/os-hypervisors?marker=${ids[1]}`, '2.33');
  t.deepEqual(last.body, { hypervisors: [] });
  t.deepEqual((await get('/os-hypervisors?limit=0', '2.33')).body, { hypervisors: [] });
  t.deepEqual(outcome(await get('/os-hypervisors?marker=12', '2.33')), fault(400, 'marker [12] not found'));
  t.deepEqual(
    outcome(await get('/os-hypervisors?limit=abc', '2.33')),
    fault(400, "Invalid input for query parameters limit. Value: abc. 'abc' does not match '^[0-9]*$'"),
  );
  t.deepEqual(
    outcome(await get('/os-hypervisors?limit=-1', '2.53')),
    fault(400, "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"),
  );
  t.deepEqual(
    outcome(await get('/os-hypervisors?limit=1&limit=2', '2.53')),
    fault(400, "Invalid input for query parameters limit. Value: ['1', '2']. ['1', '2'] is too long"),
  );
  t.deepEqual(
    outcome(await get('/os-hypervisors?ignored=yes', '2.53')),
    fault(400, "Additional properties are not allowed ('ignored' was unexpected)"),
  );

  const uuids = (await get('/os-hypervisors', '2.53')).body.hypervisors.map((h: any) => h.id);
  const page = await get('/os-hypervisors?limit=1&with_servers=false', '2.53');
  t.deepEqual(
    page.body.hypervisors.map((h: any) => h.id),
    [uuids[0]],
  );
  t.is(page.body.hypervisors_links[0].href, `${c.cloud.compute!.url}/v2.1/os-hypervisors?limit=1&marker=${uuids[0]}&with_servers=false`);
  t.deepEqual(
    (await get(`/os-hypervisors?marker=${uuids[0]}`, '2.53')).body.hypervisors.map((h: any) => h.id),
    [uuids[1]],
  );
  t.deepEqual(outcome(await get(`/os-hypervisors?marker=${UNKNOWN_UUID}`, '2.53')), fault(400, `marker [${UNKNOWN_UUID}] not found`));
});

test.serial('hypervisor searches: routes of their own before 2.53, hypervisor_hostname_pattern and with_servers from 2.53', async (t) => {
  const web = (await boot(c.nova, c.admin, 'web')).body.server.id;
  const [server] = (await settled(c.nova, c.admin)).filter((s) => s.id === web);
  t.is(server.status, 'ACTIVE');
  const busy = hostOf(server);
  const idle = busy === 'compute-1' ? 'compute-2' : 'compute-1';

  const search = await get('/os-hypervisors/compute/search', '2.52');
  t.deepEqual(
    search.body.hypervisors.map((h: any) => Object.keys(h).sort()),
    [
      ['hypervisor_hostname', 'id', 'state', 'status'],
      ['hypervisor_hostname', 'id', 'state', 'status'],
    ],
  );
  t.deepEqual(
    (await get(`/os-hypervisors/${busy.slice(-2)}/search`)).body.hypervisors.map((h: any) => h.hypervisor_hostname),
    [busy],
  );
  t.deepEqual(
    (await get('/os-hypervisors/COMPUTE_1/search')).body.hypervisors.map((h: any) => h.hypervisor_hostname),
    ['compute-1'],
    'LIKE: _ is any one character, case does not matter',
  );
  t.deepEqual(outcome(await get('/os-hypervisors/nomatch/search')), fault(404, "No hypervisor matching 'nomatch' could be found."));
  const servers = await get('/os-hypervisors/compute/servers', '2.52');
  const byName = Object.fromEntries(servers.body.hypervisors.map((h: any) => [h.hypervisor_hostname, h]));
  t.deepEqual(byName[busy].servers, [{ name: 'web', uuid: web }]);
  t.false('servers' in byName[idle], 'before 2.75 a host without servers has no servers key');
  t.deepEqual(outcome(await get('/os-hypervisors/compute/search', '2.53')), notFound);
  t.deepEqual(outcome(await get('/os-hypervisors/compute/servers', '2.53')), notFound);

  const pattern = await get(`/os-hypervisors?hypervisor_hostname_pattern=${busy}&with_servers=true`, '2.53');
  t.deepEqual(
    pattern.body.hypervisors.map((h: any) => [h.hypervisor_hostname, h.servers]),
    [[busy, [{ name: 'web', uuid: web }]]],
  );
  t.false('hypervisors_links' in pattern.body);
  const detail = await get('/os-hypervisors/detail?with_servers=1', '2.74');
  t.deepEqual(
    detail.body.hypervisors.map((h: any) => h.servers?.length),
    busy === 'compute-1' ? [1, undefined] : [undefined, 1],
  );
  const v275 = await get('/os-hypervisors/detail?with_servers=yes', '2.75');
  t.deepEqual(
    v275.body.hypervisors.map((h: any) => h.servers.length),
    busy === 'compute-1' ? [1, 0] : [0, 1],
  );
  t.false('servers' in (await get('/os-hypervisors/detail?with_servers=false', '2.75')).body.hypervisors[0]);
  const busyId = (await hypervisor(busy, '2.53')).id;
  t.deepEqual((await get(`/os-hypervisors/${busyId}?with_servers=true`, '2.53')).body.hypervisor.servers, [{ name: 'web', uuid: web }]);
  t.false('servers' in (await get(`/os-hypervisors/${busyId}`, '2.53')).body.hypervisor);
  t.like(await hypervisor(busy, '2.87'), { running_vms: 1, vcpus_used: 1, memory_mb_used: 512, free_ram_mb: 32768 - 512 });

  t.deepEqual(
    outcome(await get('/os-hypervisors?hypervisor_hostname_pattern=compute&limit=1', '2.53')),
    fault(400, 'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.'),
  );
  t.deepEqual(
    outcome(await get('/os-hypervisors?hypervisor_hostname_pattern=nomatch', '2.53')),
    fault(404, "No hypervisor matching 'nomatch' could be found."),
  );
  t.deepEqual(
    outcome(await get('/os-hypervisors?hypervisor_hostname_pattern=a%20b', '2.53')),
    fault(400, "Invalid input for query parameters hypervisor_hostname_pattern. Value: a b. 'a b' does not match '^[a-zA-Z0-9-._]*$'"),
  );
  const maybe = await get('/os-hypervisors?with_servers=maybe', '2.53');
  t.is(maybe.status, 400);
  t.regex(maybe.body.badRequest.message, /^Invalid input for query parameters with_servers\. Value: maybe\. 'maybe' is not one of \[True, 'True', /);
  t.is((await get('/os-hypervisors?hypervisor_hostname_pattern=a%20b', '2.52')).status, 200, 'before 2.53 the parameter is not looked at');

  t.is((await c.nova.call('DELETE', `/v2.1/servers/${web}`, { token: c.admin })).status, 204);
  await eventually(async () => (await hypervisor(busy)).running_vms === 0);
});

test.serial('uptime and statistics until 2.87; 2.88 drops them and the resource figures, and shows uptime in the detail', async (t) => {
  const { id } = await hypervisor('compute-1', '2.87');
  const uptime = await get(`/os-hypervisors/${id}/uptime`, '2.87');
  t.is(uptime.status, 200);
  t.deepEqual(Object.keys(uptime.body.hypervisor).sort(), ['hypervisor_hostname', 'id', 'state', 'status', 'uptime']);
  // What the CLI parses out of it (openstackclient's `hypervisor show`).
  t.regex(uptime.body.hypervisor.uptime, /^\s*(.+)\sup\s+(.+),\s+(.+)\susers?,\s+load average:\s(.+)/);
  t.deepEqual(outcome(await get(`/os-hypervisors/${id}/uptime`, '2.88')), notFound);
  t.deepEqual(outcome(await get('/os-hypervisors/compute-1/uptime')), fault(404, "Hypervisor with ID 'compute-1' could not be found."));

  const stats = await get('/os-hypervisors/statistics', '2.87');
  t.deepEqual(stats.body, {
    hypervisor_statistics: {
      count: 2,
      vcpus: 32,
      memory_mb: 65536,
      local_gb: 1000,
      vcpus_used: 0,
      memory_mb_used: 0,
      local_gb_used: 0,
      free_ram_mb: 65536,
      free_disk_gb: 1000,
      current_workload: 0,
      running_vms: 0,
      disk_available_least: 1000,
    },
  });
  t.deepEqual(outcome(await get('/os-hypervisors/statistics', '2.88')), notFound);

  const v288 = await hypervisor('compute-1', '2.88');
  t.deepEqual(Object.keys(v288).sort(), [
    'host_ip',
    'hypervisor_hostname',
    'hypervisor_type',
    'hypervisor_version',
    'id',
    'service',
    'state',
    'status',
    'uptime',
  ]);
  t.regex(v288.uptime, /load average/);
  const shown = (await get(`/os-hypervisors/${v288.id}`, '2.93')).body.hypervisor;
  t.false('vcpus' in shown || 'cpu_info' in shown || 'running_vms' in shown);
  t.regex(shown.uptime, /load average/);
  t.deepEqual(Object.keys((await get('/os-hypervisors', '2.88')).body.hypervisors[0]).sort(), ['hypervisor_hostname', 'id', 'state', 'status']);
});

test.serial(
  'services list: binaries and zones as Nova names them, forced_down from 2.11, UUIDs from 2.53, filters; unknown parameters refused from 2.75',
  async (t) => {
    const v21 = (await get('/os-services')).body.services;
    t.deepEqual(
      v21.map((s: any) => `${s.binary}@${s.host}:${s.zone}:${s.status}:${s.state}`),
      [
        'nova-scheduler@node-1:internal:enabled:up',
        'nova-conductor@node-1:internal:enabled:up',
        'nova-compute@compute-1:nova:enabled:up',
        'nova-compute@compute-2:nova:enabled:up',
      ],
    );
    t.deepEqual(Object.keys(v21[2]).sort(), ['binary', 'disabled_reason', 'host', 'id', 'state', 'status', 'updated_at', 'zone']);
    t.true(v21.every((s: any) => Number.isInteger(s.id)));
    t.is(new Set(v21.map((s: any) => s.id)).size, 4);
    t.regex(v21[2].updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    t.false('forced_down' in (await get('/os-services', '2.10')).body.services[0]);
    t.is((await get('/os-services', '2.11')).body.services[2].forced_down, false);
    const v253 = (await get('/os-services', '2.53')).body.services;
    t.true(v253.every((s: any) => UUID.test(s.id)));
    t.deepEqual(
      (await get('/os-services?binary=nova-compute')).body.services.map((s: any) => s.host),
      ['compute-1', 'compute-2'],
    );
    t.deepEqual(
      (await get('/os-services?host=node-1')).body.services.map((s: any) => s.binary),
      ['nova-scheduler', 'nova-conductor'],
    );
    t.deepEqual(
      (await get('/os-services?host=compute-2&binary=nova-compute')).body.services.map((s: any) => s.host),
      ['compute-2'],
    );
    t.deepEqual((await get('/os-services?host=nowhere')).body.services, []);
    t.is((await get('/os-services?zone=nova', '2.74')).body.services.length, 4, 'before 2.75 unknown parameters are ignored');
    t.deepEqual(outcome(await get('/os-services?zone=nova', '2.75')), fault(400, "Additional properties are not allowed ('zone' was unexpected)"));
    t.deepEqual(
      outcome(await get('/os-services?constructor=x', '2.75')),
      fault(400, "Additional properties are not allowed ('constructor' was unexpected)"),
      'a name an object inherits is no known parameter',
    );
  },
);

test.serial('before 2.53 services change by action with host and binary; force-down from 2.11; refusals as Nova words them', async (t) => {
  const body = { host: 'compute-1', binary: 'nova-compute' };
  const disabled = await put('/os-services/disable', { ...body, disabled_reason: 'ignored by disable' });
  t.deepEqual(outcome(disabled), { status: 200, body: { service: { host: 'compute-1', binary: 'nova-compute', status: 'disabled' } } });
  t.like(await service('compute-1'), { status: 'disabled', state: 'up', disabled_reason: null });
  t.like(await hypervisor('compute-1'), { status: 'disabled', state: 'up' });
  const logged = await put('/os-services/disable-log-reason', { ...body, disabled_reason: 'maintenance' }, '2.10');
  t.deepEqual(logged.body, { service: { host: 'compute-1', binary: 'nova-compute', status: 'disabled', disabled_reason: 'maintenance' } });
  t.like(await service('compute-1'), { status: 'disabled', disabled_reason: 'maintenance' });
  t.is((await hypervisor('compute-1')).service.disabled_reason, 'maintenance');
  t.deepEqual(outcome(await put('/os-services/disable-log-reason', body)), fault(400, 'Missing disabled reason field'));
  const enabled = await put('/os-services/enable', body, '2.52');
  t.deepEqual(enabled.body, { service: { host: 'compute-1', binary: 'nova-compute', status: 'enabled' } });
  t.like(await service('compute-1'), { status: 'enabled', disabled_reason: null });

  t.deepEqual(
    outcome(await put('/os-services/force-down', { ...body, forced_down: true }, '2.10')),
    fault(400, "Additional properties are not allowed ('forced_down' was unexpected)"),
  );
  t.deepEqual(outcome(await put('/os-services/force-down', body, '2.10')), fault(404, 'Unknown action'));
  const down = await put('/os-services/force-down', { ...body, forced_down: true }, '2.11');
  t.deepEqual(down.body, { service: { host: 'compute-1', binary: 'nova-compute', forced_down: true } });
  t.like(await service('compute-1'), { forced_down: true, state: 'down', status: 'enabled' });
  t.like(await hypervisor('compute-1'), { state: 'down', status: 'enabled' });
  t.deepEqual(outcome(await put('/os-services/force-down', body, '2.11')), fault(400, 'Missing forced_down field'));
  t.deepEqual((await put('/os-services/force-down', { ...body, forced_down: 'no' }, '2.11')).body.service.forced_down, false);
  t.like(await service('compute-1'), { forced_down: false, state: 'up' });

  t.deepEqual(
    outcome(await put('/os-services/disable', { host: 'node-1', binary: 'nova-scheduler' })),
    fault(400, 'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.'),
  );
  t.deepEqual(
    outcome(await put('/os-services/disable', { host: 'nowhere', binary: 'nova-compute' })),
    fault(404, "Host 'nowhere' is not mapped to any cell"),
  );
  t.deepEqual(
    outcome(await put('/os-services/disable', { host: 'node-1', binary: 'nova-compute' })),
    fault(404, "Host 'node-1' is not mapped to any cell"),
  );
  t.deepEqual(outcome(await put('/os-services/reboot', body)), fault(404, 'Unknown action'));
  t.deepEqual(outcome(await put('/os-services/disable', { host: 'compute-1' })), fault(400, "'binary' is a required property"));
  t.deepEqual(
    outcome(await put('/os-services/disable', { host: 'compute 1', binary: 'nova-compute' })),
    fault(400, "Invalid input for field/attribute host. Value: compute 1. 'compute 1' does not match '^[a-zA-Z0-9-._]*$'"),
  );
  t.deepEqual(outcome(await put('/os-services/disable', ['compute-1'])), fault(400, "['compute-1'] is not of type 'object'"));
  const none = await c.nova.call('PUT', '/v2.1/os-services/disable', { token: c.admin });
  t.deepEqual(outcome(none), fault(400, "None is not of type 'object'"));
  t.deepEqual(
    outcome(await put('/os-services/disable', body, '2.53')),
    fault(400, "Additional properties are not allowed ('binary', 'host' were unexpected)"),
  );
  t.deepEqual(outcome(await put('/os-services/disable', {}, '2.53')), fault(400, 'Invalid uuid disable'));
  t.like(await service('compute-1'), { status: 'enabled', forced_down: false });
});

test.serial('from 2.53 a service changes by UUID: status, disabled_reason and forced_down, answered with the whole service', async (t) => {
  const { id } = await service('compute-2', 'nova-compute', '2.53');
  const disabled = await put(`/os-services/${id}`, { status: 'disabled', disabled_reason: 'maintenance' }, '2.53');
  t.is(disabled.status, 200);
  t.like(disabled.body.service, {
    id,
    binary: 'nova-compute',
    host: 'compute-2',
    zone: 'nova',
    status: 'disabled',
    state: 'up',
    disabled_reason: 'maintenance',
    forced_down: false,
  });
  t.regex(disabled.body.service.updated_at, /^\d{4}-\d\d-\d\dT/);
  const both = await put(`/os-services/${id}`, { status: 'enabled', forced_down: true }, '2.53');
  t.like(both.body.service, { status: 'enabled', disabled_reason: null, forced_down: true, state: 'down' });
  t.like((await put(`/os-services/${id}`, { forced_down: false }, '2.93')).body.service, { forced_down: false, state: 'up' });
  t.like((await put(`/os-services/${id}`, { status: 'disabled' }, '2.53')).body.service, { status: 'disabled', disabled_reason: null });
  t.like((await put(`/os-services/${id}`, { status: 'enabled' }, '2.53')).body.service, { status: 'enabled' });

  t.deepEqual(
    outcome(await put(`/os-services/${id}`, { status: 'enabled', disabled_reason: 'x' }, '2.53')),
    fault(400, "Specifying 'disabled_reason' with status 'enabled' is invalid."),
  );
  t.deepEqual(
    outcome(await put(`/os-services/${id}`, {}, '2.53')),
    fault(400, "No updates were requested. Fields 'status' or 'forced_down' should be specified."),
  );
  t.deepEqual(
    outcome(await put(`/os-services/${id}`, { disabled_reason: 'alone' }, '2.53')),
    fault(400, "No updates were requested. Fields 'status' or 'forced_down' should be specified."),
  );
  t.deepEqual(
    outcome(await put(`/os-services/${id}`, { status: 'off' }, '2.53')),
    fault(400, "Invalid input for field/attribute status. Value: off. 'off' is not one of ['enabled', 'disabled']"),
  );
  t.deepEqual(
    outcome(await put(`/os-services/${id}`, { forced_down: 5 }, '2.53')),
    fault(400, "Invalid input for field/attribute forced_down. Value: 5. 5 is not of type 'boolean', 'string'"),
  );
  t.deepEqual(
    outcome(await put(`/os-services/${UNKNOWN_UUID}`, { status: 'disabled' }, '2.53')),
    fault(404, `Service ${UNKNOWN_UUID} could not be found.`),
  );
  const scheduler = await service('node-1', 'nova-scheduler', '2.53');
  t.deepEqual(
    outcome(await put(`/os-services/${scheduler.id}`, { status: 'disabled' }, '2.53')),
    fault(400, 'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.'),
  );
  // Nova checks the id before the policy: a member with a bad id gets the 400.
  t.deepEqual(outcome(await put('/os-services/42', { status: 'disabled' }, '2.53', c.demo)), fault(400, 'Invalid uuid 42'));
  t.like(await service('compute-2', 'nova-compute', '2.53'), { status: 'enabled', forced_down: false, state: 'up' });
});

test.serial('a disabled or forced-down host gets no new boots, even before the scheduler re-reads the hosts', async (t) => {
  const compute1 = (await service('compute-1', 'nova-compute', '2.53')).id;
  const compute2 = (await service('compute-2', 'nova-compute', '2.53')).id;
  t.is((await put(`/os-services/${compute1}`, { status: 'disabled', disabled_reason: 'drain' }, '2.53')).status, 200);
  // Past the scheduler's picture's age: its filters leave the disabled host out.
  await clock.advance(1_100);
  const first: string[] = [];
  for (let i = 0; i < 4; i++) first.push((await boot(c.nova, c.admin, `drain-${i}`)).body.server.id);
  const afterDisable = (await settled(c.nova, c.admin)).filter((s) => first.includes(s.id));
  t.deepEqual(
    afterDisable.map((s) => [s.status, hostOf(s)]),
    first.map(() => ['ACTIVE', 'compute-2']),
  );

  // No time passes now, so the scheduler still sees the old states: the hosts refuse the claims it
  // sends them. Forced down (but enabled) is left out too; with both hosts out a boot finds no host.
  t.is((await put(`/os-services/${compute1}`, { status: 'enabled' }, '2.53')).status, 200);
  t.is((await put(`/os-services/${compute2}`, { forced_down: true }, '2.53')).status, 200);
  const second: string[] = [];
  for (let i = 0; i < 3; i++) second.push((await boot(c.nova, c.admin, `down-${i}`)).body.server.id);
  const afterDown = (await settled(c.nova, c.admin)).filter((s) => second.includes(s.id));
  t.deepEqual(
    afterDown.map((s) => [s.status, hostOf(s)]),
    second.map(() => ['ACTIVE', 'compute-1']),
  );
  t.is((await put(`/os-services/${compute1}`, { status: 'disabled' }, '2.53')).status, 200);
  const nowhere = (await boot(c.nova, c.admin, 'nowhere')).body.server.id;
  const [refused] = (await settled(c.nova, c.admin)).filter((s) => s.id === nowhere);
  t.is(refused.status, 'ERROR');
  t.is(refused.fault.message, 'No valid host was found. There are not enough hosts available.');

  // Statistics count the enabled services' hypervisors only.
  t.is((await get('/os-hypervisors/statistics')).body.hypervisor_statistics.count, 1);
  t.is((await put(`/os-services/${compute1}`, { status: 'enabled' }, '2.53')).status, 200);
  t.is((await put(`/os-services/${compute2}`, { forced_down: false }, '2.53')).status, 200);
  for (const id of [...first, ...second, nowhere]) t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.admin })).status, 204);
  await eventually(async () => (await get('/os-hypervisors/statistics')).body.hypervisor_statistics.running_vms === 0);
});

test.serial(
  'availability zones: the list hides internal; the detail names hosts and enabled services; a zone of disabled services is not available',
  async (t) => {
    const detail = await get('/os-availability-zone/detail');
    t.is(detail.status, 200);
    const [internal, nova] = detail.body.availabilityZoneInfo;
    t.like(internal, { zoneName: 'internal', zoneState: { available: true } });
    t.deepEqual(Object.keys(internal.hosts['node-1']), ['nova-scheduler', 'nova-conductor']);
    t.like(internal.hosts['node-1']['nova-scheduler'], { available: true, active: true });
    t.is(nova.zoneName, 'nova');
    t.deepEqual(Object.keys(nova.hosts), ['compute-1', 'compute-2']);
    t.like(nova.hosts['compute-1']['nova-compute'], { available: true, active: true });
    t.regex(nova.hosts['compute-1']['nova-compute'].updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    // A host in a zone of its own: disabling its one service makes the zone unavailable (listed last, no hosts).
    await registerGhost();
    t.deepEqual(
      (await get('/os-availability-zone', '2.1', c.demo)).body.availabilityZoneInfo.map((z: any) => [z.zoneName, z.zoneState.available]),
      [
        ['ghost-az', true],
        ['nova', true],
      ],
    );
    t.is((await put('/os-services/disable', { host: 'ghost', binary: 'nova-compute' })).status, 200);
    t.deepEqual(
      (await get('/os-availability-zone', '2.1', c.demo)).body.availabilityZoneInfo.map((z: any) => [z.zoneName, z.zoneState.available]),
      [
        ['nova', true],
        ['ghost-az', false],
      ],
    );
    const zones = (await get('/os-availability-zone/detail')).body.availabilityZoneInfo;
    t.deepEqual(
      zones.map((z: any) => [z.zoneName, z.zoneState.available]),
      [
        ['internal', true],
        ['nova', true],
        ['ghost-az', false],
      ],
    );
    t.is(zones[2].hosts, null);
    t.is((await put('/os-services/disable', { host: 'compute-1', binary: 'nova-compute' })).status, 200);
    t.deepEqual(
      Object.keys((await get('/os-availability-zone/detail')).body.availabilityZoneInfo[1].hosts),
      ['compute-2'],
      'a disabled service is left out',
    );
    t.is((await put('/os-services/enable', { host: 'compute-1', binary: 'nova-compute' })).status, 200);
    t.is((await put('/os-services/enable', { host: 'ghost', binary: 'nova-compute' })).status, 200);
  },
);

test.serial('a compute service that stops reporting goes down after timeouts.serviceDownMs; its uptime is then unavailable', async (t) => {
  t.like(await service('ghost'), { state: 'up', zone: 'ghost-az' });
  await pass(c.config.timeouts.serviceDownMs - c.config.timeouts.reportIntervalMs);
  t.like(await service('ghost'), { state: 'up' }, 'still within service_down_time');
  await pass(2 * c.config.timeouts.reportIntervalMs);
  await eventually(async () => (await service('compute-1')).state === 'up' && (await service('node-1', 'nova-scheduler')).state === 'up');
  t.like(await service('ghost'), { state: 'down', status: 'enabled' });
  t.like(await hypervisor('ghost'), { state: 'down' });
  const ghostZone = (await get('/os-availability-zone/detail')).body.availabilityZoneInfo.find((z: any) => z.zoneName === 'ghost-az');
  t.like(
    ghostZone,
    { zoneState: { available: true }, hosts: { ghost: { 'nova-compute': { available: false, active: true } } } },
    'a zone stays available while a service in it is enabled, up or not, as in Nova',
  );
  const { id } = await hypervisor('ghost');
  t.deepEqual(outcome(await get(`/os-hypervisors/${id}/uptime`)), fault(400, 'Compute service of ghost is unavailable at this time.'));
  t.is((await hypervisor('ghost', '2.88')).uptime, null);
  // Reporting again brings it back up.
  await c.cloud.node.send(ref('host', 'ghost'), 'heartbeat', { sent_at: clock.now() });
  await eventually(async () => (await service('ghost')).state === 'up');
});

test.serial(
  'deleting services: 409 while a compute host has servers; by integer id before 2.53, by UUID after; a deleted host returns only by registering again',
  async (t) => {
    const web = (await boot(c.nova, c.admin, 'holder')).body.server.id;
    const [server] = (await settled(c.nova, c.admin)).filter((s) => s.id === web);
    const holder = await service(hostOf(server), 'nova-compute', '2.1');
    t.deepEqual(
      outcome(await del(`/os-services/${holder.id}`)),
      fault(409, 'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.'),
    );
    t.is((await service(hostOf(server))).host, hostOf(server), 'still there');
    t.is((await c.nova.call('DELETE', `/v2.1/servers/${web}`, { token: c.admin })).status, 204);

    t.deepEqual(outcome(await del('/os-services/abc')), fault(400, 'Invalid input received: id must be an integer'));
    t.deepEqual(outcome(await del('/os-services/12')), fault(404, 'Service 12 not found.'));
    t.deepEqual(outcome(await del('/os-services/12', '2.53')), fault(400, 'Invalid uuid 12'));
    t.deepEqual(outcome(await del(`/os-services/${UNKNOWN_UUID}`, '2.53')), fault(404, `Service ${UNKNOWN_UUID} not found.`));

    const ghost = await service('ghost', 'nova-compute', '2.1');
    const deleted = await del(`/os-services/${ghost.id}`);
    t.is(deleted.status, 204);
    t.is(deleted.body, undefined);
    t.is(await service('ghost'), undefined);
    t.is(await hypervisor('ghost'), undefined, 'its hypervisor goes with it');
    t.deepEqual(
      (await get('/os-availability-zone')).body.availabilityZoneInfo.map((z: any) => z.zoneName),
      ['nova'],
    );
    await c.cloud.node.send(ref('host', 'ghost'), 'heartbeat', { sent_at: clock.now() });
    await pass(c.config.timeouts.reportIntervalMs);
    t.is(await service('ghost'), undefined, 'a running service whose record was deleted does not bring it back by reporting');
    t.deepEqual(outcome(await del(`/os-services/${ghost.id}`)), fault(404, `Service ${ghost.id} not found.`));
    await registerGhost();
    t.like(await service('ghost'), { state: 'up', status: 'enabled' });
    const again = await service('ghost', 'nova-compute', '2.53');
    t.is((await del(`/os-services/${again.id}`, '2.53')).status, 204);
    t.is(await service('ghost'), undefined);
  },
);

test.serial('nova-scheduler and nova-conductor can be deleted but not updated; boots go on; the record stays gone while the node runs', async (t) => {
  const conductor = await service('node-1', 'nova-conductor', '2.53');
  t.deepEqual(
    outcome(await put(`/os-services/${conductor.id}`, { forced_down: true }, '2.53')),
    fault(400, 'Updating a nova-conductor service is not supported. Only nova-compute services can be updated.'),
  );
  t.is((await del(`/os-services/${conductor.id}`, '2.53')).status, 204);
  // One record holds both here: the node's scheduler is its conductor.
  t.deepEqual((await get('/os-services?host=node-1')).body.services, []);
  await pass(2 * c.config.timeouts.reportIntervalMs);
  t.deepEqual((await get('/os-services?host=node-1')).body.services, []);
  t.deepEqual(
    (await get('/os-availability-zone/detail')).body.availabilityZoneInfo.map((z: any) => z.zoneName),
    ['nova'],
  );
  const after = (await boot(c.nova, c.admin, 'after')).body.server.id;
  const [server] = (await settled(c.nova, c.admin)).filter((s) => s.id === after);
  t.is(server.status, 'ACTIVE');
  t.is((await c.nova.call('DELETE', `/v2.1/servers/${after}`, { token: c.admin })).status, 204);
});
