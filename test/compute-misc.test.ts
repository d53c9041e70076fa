import test from 'ava';
import { join } from 'node:path';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { openstack } from './helpers/cloud-process.js';
import { at, bootActive, startComputeCloud, userWithRole, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { novaRefused } from './helpers/refusals.js';

// Issue 18's small server actions and remaining routes, through raw HTTP with the response oracle on and
// through Debian's `openstack` CLI: versions (v2.0 and the legacy /v2 endpoint), extensions, the removed
// APIs, the usage audit log, external events, assisted volume snapshots, the server password,
// os-resetState, changePassword, injectNetworkInfo/resetNetwork, trigger_crash_dump and diagnostics.

let c: ComputeCloud;
let reader: string;

test.before(async () => {
  c = await startComputeCloud('compute-misc', { libvirt: { hosts: [{ name: 'compute-1' }, { name: 'compute-2' }] } });
  reader = await userWithRole(c, 'misc-reader', 'reader', 'demo');
});
test.after.always(async () => {
  await c?.stop();
});

const get = (path: string, token = c.admin, version?: string) => c.nova.call('GET', path, { token, headers: version ? at(version) : {} });
const act = (token: string, id: string, body: unknown, version?: string) =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: version ? at(version) : {} });
const show = async (id: string) => (await get(`/v2.1/servers/${id}`, c.admin, '2.93')).body.server;
const osc = (...args: string[]) => openstack(join(c.dir, 'clouds.yaml'), args);
const hostUri = (host: string) => c.cloud.hosts.find((h) => h.name === host)!.uri;
const GONE = 'This resource is no longer available.  No forwarding address is given.';

/** The server's instance action with the request id, with its events (admin). */
async function actionOf(id: string, name: string) {
  const list = (await get(`/v2.1/servers/${id}/os-instance-actions`)).body.instanceActions as Array<{ action: string; request_id: string }>;
  const found = list.find((a) => a.action === name);
  if (!found) return undefined;
  return (await get(`/v2.1/servers/${id}/os-instance-actions/${found.request_id}`, c.admin, '2.84')).body.instanceAction;
}

test('versions: v2.0 (SUPPORTED) beside v2.1; /v2 and /v2.0 answer the v2.0 document; the CLI lists both', async (t) => {
  const root = await c.nova.call('GET', '/');
  t.is(root.status, 200);
  const base = c.cloud.compute!.url;
  t.deepEqual(
    root.body.versions.map((v: any) => [v.id, v.status, v.version, v.min_version, v.updated, v.links[0].href]),
    [
      ['v2.0', 'SUPPORTED', '', '', '2011-01-21T11:33:21Z', `${base}/v2/`],
      ['v2.1', 'CURRENT', '2.93', '2.1', '2013-07-23T11:33:21Z', `${base}/v2.1/`],
    ],
  );
  for (const path of ['/v2', '/v2/', '/v2.0/']) {
    const doc = await c.nova.call('GET', path);
    t.is(doc.status, 200, path);
    t.like(doc.body.version, { id: 'v2.0', status: 'SUPPORTED', version: '' }, path);
    t.deepEqual(doc.body.version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }]);
  }
  t.is((await c.nova.call('GET', '/v2.1/')).body.version.id, 'v2.1');
  const cli = await osc('--os-cloud', 'stratus', 'versions', 'show', '--service', 'compute', '-f', 'json');
  t.is(cli.code, 0, cli.stderr);
  t.deepEqual(cli.json.map((v: any) => [v.Version, v.Status]).sort(), [
    ['2.0', 'SUPPORTED'],
    ['2.1', 'CURRENT'],
  ]);
});

test('the legacy /v2 endpoint is the v2.1 API at 2.1: microversion headers ignored and not echoed', async (t) => {
  const id = await bootActive(c, c.demo, 'legacy-one');
  const legacy = await c.nova.call('GET', `/v2/servers/${id}`, { token: c.demo, headers: at('2.90') });
  t.is(legacy.status, 200);
  t.is(legacy.body.server.id, id);
  t.false('description' in legacy.body.server, 'a 2.1 view (description comes at 2.19)');
  t.is(legacy.headers.get('openstack-api-version'), null);
  t.is(legacy.headers.get('x-openstack-nova-api-version'), null);
  const project = (await c.keystone.call('GET', '/v3/projects?name=demo', { token: c.admin })).body.projects[0].id;
  t.is((await c.nova.call('GET', `/v2.0/${project}/servers/${id}`, { token: c.demo })).status, 200, 'with the project in the URL too');
  const current = await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.demo, headers: at('2.90') });
  t.is(current.headers.get('openstack-api-version'), 'compute 2.90');
  novaRefused(
    t,
    await c.nova.call('GET', `/v2/servers/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, { token: c.demo }),
    404,
    /could not be found/,
  );
});

test('extensions: Nova 26 table at v2.1, ExtendedVIFNet added through /v2; show by alias, 404 for an unknown one; the CLI lists them', async (t) => {
  const list = await get('/v2.1/extensions', c.demo);
  t.is(list.status, 200);
  t.is(list.body.extensions.length, 99);
  t.deepEqual(list.body.extensions[0], {
    alias: 'NMN',
    description: 'Multiple network support.',
    links: [],
    name: 'Multinic',
    namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
    updated: '2014-12-03T00:00:00Z',
  });
  const legacy = (await c.nova.call('GET', '/v2/extensions', { token: c.demo })).body.extensions;
  t.is(legacy.length, 100);
  t.true(legacy.some((e: any) => e.alias === 'OS-EXT-VIF-NET'));
  t.false(list.body.extensions.some((e: any) => e.alias === 'OS-EXT-VIF-NET'));
  t.like((await get('/v2.1/extensions/os-keypairs', reader)).body.extension, { alias: 'os-keypairs', name: 'Keypairs' });
  novaRefused(t, await get('/v2.1/extensions/OS-EXT-VIF-NET', c.demo), 404, 'The resource could not be found.');
  const cli = await osc('--os-cloud', 'stratus-demo', 'extension', 'list', '--compute', '-f', 'json');
  t.is(cli.code, 0, cli.stderr);
  t.is(cli.json.length, 99);
  t.true(cli.json.some((e: any) => e.Alias === 'os-server-groups'));
});

test('removed APIs: 410 Gone at every version before any policy; the network proxies list Neutron’s networks up to 2.35, 404 from 2.36', async (t) => {
  for (const [method, path] of [
    ['GET', '/v2.1/os-cloudpipe'],
    ['POST', '/v2.1/os-certificates'],
    ['GET', '/v2.1/os-fixed-ips/10.0.0.1'],
    ['POST', '/v2.1/os-fixed-ips/10.0.0.1/action'],
    ['GET', '/v2.1/os-cells/detail'],
    ['GET', '/v2.1/os-fping'],
    ['DELETE', '/v2.1/os-networks/x'],
    ['GET', '/v2.1/os-agents'],
    ['GET', '/v2.1/os-floating-ips-bulk'],
    ['GET', '/v2.1/os-security-group-default-rules'],
  ] as const) {
    for (const version of ['2.1', '2.36', '2.93'])
      novaRefused(t, await c.nova.call(method, path, { token: reader, headers: at(version) }), 410, GONE);
  }
  const id = await bootActive(c, c.demo, 'removed-sub');
  novaRefused(t, await get(`/v2.1/servers/${id}/os-virtual-interfaces`, c.demo), 410, GONE);
  novaRefused(t, await get(`/v2.1/servers/${id}/consoles`, c.demo), 410, GONE);
  novaRefused(t, await act(c.admin, id, { resetNetwork: null }), 410, GONE);
  const labels = (r: { body: { networks: Array<{ label: string }> } }) => r.body.networks.map((n) => n.label).sort();
  t.deepEqual(labels(await get('/v2.1/os-networks', c.demo, '2.35')), ['private', 'public']);
  t.deepEqual(labels(await get('/v2.1/os-tenant-networks', c.demo)), ['private', 'public']);
  novaRefused(t, await get('/v2.1/os-networks/abc', c.demo), 404, 'Network not found');
  novaRefused(t, await get('/v2.1/os-networks', c.demo, '2.36'), 404, 'The resource could not be found.');
});

test('os-instance_usage_audit_log (admin): every host not run for the last completed month; by date; a bad date is 400', async (t) => {
  const index = await get('/v2.1/os-instance_usage_audit_log');
  t.is(index.status, 200);
  const log = index.body.instance_usage_audit_logs;
  t.like(log, { num_hosts: 2, num_hosts_done: 0, num_hosts_not_run: 2, total_errors: 0, overall_status: '0 of 2 hosts done. 0 errors.', log: {} });
  t.deepEqual(log.hosts_not_run, ['compute-1', 'compute-2']);
  t.regex(log.period_beginning, /^\d{4}-\d\d-01 00:00:00$/);
  const dated = await get(`/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2026-03-15 10:00:00')}`);
  t.like(dated.body.instance_usage_audit_log, { period_beginning: '2026-02-01 00:00:00', period_ending: '2026-03-01 00:00:00' });
  const edge = await get(`/v2.1/os-instance_usage_audit_log/${encodeURIComponent('2026-01-01 00:00:00.000000')}`);
  t.like(edge.body.instance_usage_audit_log, { period_beginning: '2025-11-01 00:00:00', period_ending: '2025-12-01 00:00:00' });
  novaRefused(t, await get('/v2.1/os-instance_usage_audit_log/2026-02-30%2000:00:00'), 400, 'Invalid timestamp for date 2026-02-30 00:00:00');
  novaRefused(t, await get('/v2.1/os-instance_usage_audit_log', c.demo), 403, /os-instance-usage-audit-log:list/);
});

test('os-server-external-events (admin): 200 when all are taken, 207 with 404/400 per event otherwise; the schema per version', async (t) => {
  const id = await bootActive(c, c.demo, 'evented');
  const missing = '4f0d7c1a-2b2c-4c8e-9a51-000000000000';
  const ok = await c.nova.call('POST', '/v2.1/os-server-external-events', {
    token: c.admin,
    body: { events: [{ server_uuid: id, name: 'network-changed', tag: 'port' }] },
  });
  t.is(ok.status, 200);
  t.deepEqual(ok.body.events, [{ server_uuid: id, name: 'network-changed', tag: 'port', status: 'completed', code: 200 }]);
  const mixed = await c.nova.call('POST', '/v2.1/os-server-external-events', {
    token: c.admin,
    headers: at('2.76'),
    body: {
      events: [
        { server_uuid: id, name: 'network-vif-plugged', status: 'failed' },
        { server_uuid: missing, name: 'network-changed' },
        { server_uuid: id, name: 'power-update' },
      ],
    },
  });
  t.is(mixed.status, 207);
  t.deepEqual(
    mixed.body.events.map((e: any) => [e.name, e.status, e.code]),
    [
      ['network-vif-plugged', 'completed', 200],
      ['network-changed', 'failed', 404],
      ['power-update', 'failed', 400],
    ],
  );
  novaRefused(
    t,
    await c.nova.call('POST', '/v2.1/os-server-external-events', {
      token: c.admin,
      body: { events: [{ server_uuid: id, name: 'power-update', tag: 'x' }] },
    }),
    400,
    /Invalid input for field\/attribute name/,
  );
  novaRefused(t, await c.nova.call('POST', '/v2.1/os-server-external-events', { token: c.admin, body: { events: [] } }), 400, /Invalid input/);
  novaRefused(
    t,
    await c.nova.call('POST', '/v2.1/os-server-external-events', { token: c.demo, body: { events: [{ server_uuid: id, name: 'network-changed' }] } }),
    403,
    /os-server-external-events:create/,
  );
});

test('os-assisted-volume-snapshots (admin): no server has the volume (400); schema and query refusals', async (t) => {
  const body = { snapshot: { volume_id: 'vol-1', create_info: { snapshot_id: 's1', type: 'qcow2', new_file: 'f' } } };
  novaRefused(
    t,
    await c.nova.call('POST', '/v2.1/os-assisted-volume-snapshots', { token: c.admin, body }),
    400,
    'No volume Block Device Mapping with id vol-1.',
  );
  novaRefused(
    t,
    await c.nova.call('POST', '/v2.1/os-assisted-volume-snapshots', {
      token: c.admin,
      body: { snapshot: { ...body.snapshot, create_info: { ...body.snapshot.create_info, type: 'raw' } } },
    }),
    400,
    /Invalid input for field\/attribute type/,
  );
  novaRefused(t, await c.nova.call('POST', '/v2.1/os-assisted-volume-snapshots', { token: c.demo, body }), 403, /assisted-volume-snapshots:create/);
  const info = encodeURIComponent(JSON.stringify({ volume_id: 'vol-2' }));
  novaRefused(
    t,
    await c.nova.call('DELETE', `/v2.1/os-assisted-volume-snapshots/s1?delete_info=${info}`, { token: c.admin }),
    400,
    'No volume Block Device Mapping with id vol-2.',
  );
  novaRefused(t, await c.nova.call('DELETE', '/v2.1/os-assisted-volume-snapshots/s1', { token: c.admin }), 400, "'delete_info'");
  novaRefused(
    t,
    await c.nova.call('DELETE', `/v2.1/os-assisted-volume-snapshots/s1?delete_info=${info}&extra=1`, { token: c.admin, headers: at('2.75') }),
    400,
    /Additional properties are not allowed/,
  );
});

test('os-server-password: empty until set; cleared with 204; another project’s server is 404', async (t) => {
  const id = await bootActive(c, c.demo, 'passworded');
  const shown = await get(`/v2.1/servers/${id}/os-server-password`, reader);
  t.is(shown.status, 200);
  t.deepEqual(shown.body, { password: '' });
  const cleared = await c.nova.call('DELETE', `/v2.1/servers/${id}/os-server-password`, { token: c.demo });
  t.is(cleared.status, 204);
  novaRefused(t, await c.nova.call('DELETE', `/v2.1/servers/${id}/os-server-password`, { token: reader }), 403, /os-server-password:clear/);
  const other = await bootActive(c, c.admin, 'admins-own');
  novaRefused(t, await get(`/v2.1/servers/${other}/os-server-password`, c.demo), 404, `Instance ${other} could not be found.`);
});

test('os-resetState (admin): ERROR then ACTIVE, task state cleared, recorded as resetState; members refused; the CLI sets it', async (t) => {
  const id = await bootActive(c, c.demo, 'resettable');
  t.is((await act(c.admin, id, { 'os-resetState': { state: 'error' } })).status, 202);
  t.like(await show(id), { status: 'ERROR', 'OS-EXT-STS:vm_state': 'error', 'OS-EXT-STS:task_state': null });
  const recorded = await actionOf(id, 'resetState');
  t.truthy(recorded);
  t.deepEqual(recorded.events, [], 'Nova records no event for it');
  novaRefused(t, await act(c.demo, id, { 'os-resetState': { state: 'active' } }), 403, /os-admin-actions:reset_state/);
  novaRefused(t, await act(c.admin, id, { 'os-resetState': { state: 'stopped' } }), 400, /Invalid input for field\/attribute state/);
  const cli = await osc('--os-cloud', 'stratus', 'server', 'set', '--state', 'active', id);
  t.is(cli.code, 0, cli.stderr);
  t.like(await show(id), { status: 'ACTIVE', 'OS-EXT-STS:vm_state': 'active' });
});

test('changePassword: 409 as Nova’s libvirt driver answers without a guest agent, recorded with its failed event; state refusals', async (t) => {
  const id = await bootActive(c, c.demo, 'pw');
  novaRefused(t, await act(c.demo, id, { changePassword: { adminPass: 'new-secret' } }), 409, 'QEMU guest agent is not enabled');
  const recorded = await actionOf(id, 'changePassword');
  t.like(recorded, { message: 'Error' });
  t.like(recorded.events[0], { event: 'compute_set_admin_password', result: 'Error', details: 'QEMU guest agent is not enabled' });
  t.like(await show(id), { status: 'ACTIVE', 'OS-EXT-STS:task_state': null });
  novaRefused(t, await act(c.demo, id, { changePassword: {} }), 400, /'adminPass' is a required property/);
  novaRefused(t, await act(reader, id, { changePassword: { adminPass: 'x' } }), 403, /os-admin-password/);
  t.is((await act(c.demo, id, { 'os-stop': null })).status, 202);
  await eventually(async () => (await show(id)).status === 'SHUTOFF', 30_000);
  novaRefused(
    t,
    await act(c.demo, id, { changePassword: { adminPass: 'x' } }),
    409,
    `Cannot 'changePassword' instance ${id} while it is in vm_state stopped`,
  );
  t.is((await act(c.demo, id, { lock: null })).status, 202);
  novaRefused(t, await act(c.demo, id, { changePassword: { adminPass: 'x' } }), 409, `Instance ${id} is in an invalid state for 'changePassword'`);
});

test('injectNetworkInfo (admin): 202, nothing recorded; members refused', async (t) => {
  const id = await bootActive(c, c.demo, 'injected');
  t.is((await act(c.admin, id, { injectNetworkInfo: null })).status, 202);
  t.is(await actionOf(id, 'injectNetworkInfo'), undefined);
  novaRefused(t, await act(c.demo, id, { injectNetworkInfo: null }), 403, /os-admin-actions:inject_network_info/);
});

test('trigger_crash_dump (2.17): an NMI through the host, its event a success; 404 below 2.17; 409 for a stopped server; the CLI', async (t) => {
  const id = await bootActive(c, c.demo, 'dumped');
  novaRefused(t, await act(c.demo, id, { trigger_crash_dump: null }, '2.16'), 404, 'The resource could not be found.');
  novaRefused(t, await act(c.demo, id, { trigger_crash_dump: {} }, '2.17'), 400, /Invalid input for field\/attribute trigger_crash_dump/);
  t.is((await act(c.demo, id, { trigger_crash_dump: null }, '2.17')).status, 202);
  let recorded: any;
  await eventually(async () => (recorded = await actionOf(id, 'trigger_crash_dump'))?.events?.[0]?.result === 'Success', 30_000);
  t.like(recorded.events[0], { event: 'compute_trigger_crash_dump', result: 'Success' });
  t.like(await show(id), { status: 'ACTIVE', 'OS-EXT-STS:task_state': null });

  const cli = await osc('--os-cloud', 'stratus-demo', '--os-compute-api-version', '2.17', 'server', 'dump', 'create', id);
  t.is(cli.code, 0, cli.stderr);

  t.is((await act(c.demo, id, { 'os-stop': null })).status, 202);
  await eventually(async () => (await show(id)).status === 'SHUTOFF', 30_000);
  novaRefused(
    t,
    await act(c.demo, id, { trigger_crash_dump: null }, '2.17'),
    409,
    `Cannot 'trigger_crash_dump' instance ${id} while it is in vm_state stopped`,
  );
  // An admin's reset makes the server ERROR, a state Nova allows the dump in, with the guest still off: the host's NMI fails.
  t.is((await act(c.admin, id, { 'os-resetState': { state: 'error' } })).status, 202);
  const req = await act(c.admin, id, { trigger_crash_dump: null }, '2.17');
  t.is(req.status, 202);
  const requestId = req.headers.get('x-openstack-request-id');
  await eventually(async () => {
    const a = (await get(`/v2.1/servers/${id}/os-instance-actions/${requestId}`, c.admin, '2.84')).body.instanceAction;
    return a?.events?.[0]?.result === 'Error';
  }, 30_000);
  const failed = (await get(`/v2.1/servers/${id}/os-instance-actions/${requestId}`, c.admin, '2.84')).body.instanceAction;
  t.like(failed.events[0], { event: 'compute_trigger_crash_dump', details: `Instance ${id} is not running.` });
});

test('diagnostics (admin): the 2.48 form from the domain’s info on its simulated host, the driver’s dict before; members refused', async (t) => {
  const id = await bootActive(c, c.demo, 'diagnosed');
  const host = (await show(id))['OS-EXT-SRV-ATTR:host'];
  const connection = new LibvirtConnection(hostUri(host));
  const info = await connection.domainInfo(id).finally(() => connection.close());
  const r = await get(`/v2.1/servers/${id}/diagnostics`, c.admin, '2.48');
  t.is(r.status, 200);
  t.like(r.body, { state: 'running', driver: 'libvirt', hypervisor: 'test', hypervisor_os: 'linux', config_drive: false, num_cpus: 0 });
  t.deepEqual(r.body.memory_details, { maximum: Math.trunc(info!.maxMemKiB / 1048576), used: Math.trunc(info!.memoryKiB / 1048576) });
  t.true(Number.isInteger(r.body.uptime) && r.body.uptime >= 0);
  t.deepEqual((await get(`/v2.1/servers/${id}/diagnostics`, c.admin, '2.47')).body, { memory: info!.maxMemKiB });
  novaRefused(t, await get(`/v2.1/servers/${id}/diagnostics`, c.demo, '2.48'), 403, /os-server-diagnostics/);
  t.is((await act(c.demo, id, { pause: null })).status, 202);
  await eventually(async () => (await show(id)).status === 'PAUSED', 30_000);
  t.is((await get(`/v2.1/servers/${id}/diagnostics`, c.admin, '2.48')).body.state, 'paused');
});

test('os-hosts (admin, up to 2.42): hosts by service and zone, a host’s resources, 501 for what libvirt does not implement; the CLI', async (t) => {
  // An admin may name the host (zone:host).
  await bootActive(c, c.admin, 'hosted', { availability_zone: 'nova:compute-2' });
  const list = await get('/v2.1/os-hosts');
  t.is(list.status, 200);
  const computes = list.body.hosts.filter((h: any) => h.service === 'compute');
  t.deepEqual(computes, [
    { host_name: 'compute-1', service: 'compute', zone: 'nova' },
    { host_name: 'compute-2', service: 'compute', zone: 'nova' },
  ]);
  t.true(list.body.hosts.some((h: any) => h.service === 'scheduler' && h.zone === 'internal'));
  t.deepEqual((await get('/v2.1/os-hosts?zone=internal')).body.hosts.map((h: any) => h.service).sort(), ['conductor', 'scheduler']);
  const shown = await get('/v2.1/os-hosts/compute-2');
  t.is(shown.status, 200);
  const [total, usedNow, usedMax, ...projects] = shown.body.host.map((r: any) => r.resource);
  t.like(total, { host: 'compute-2', project: '(total)' });
  t.like(usedNow, { project: '(used_now)' });
  t.true(usedMax.memory_mb >= 512 && usedMax.cpu >= 1);
  t.is(
    projects.reduce((a: number, p: any) => a + p.memory_mb, 0),
    usedMax.memory_mb,
    'per project, adding up to the whole',
  );
  novaRefused(t, await get('/v2.1/os-hosts/nope'), 404, "Host 'nope' is not mapped to any cell");
  t.deepEqual((await c.nova.call('PUT', '/v2.1/os-hosts/compute-1', { token: c.admin, body: {} })).body, { host: 'compute-1' });
  novaRefused(
    t,
    await c.nova.call('PUT', '/v2.1/os-hosts/compute-1', { token: c.admin, body: { status: 'disable' } }),
    501,
    'The requested functionality is not supported.',
  );
  novaRefused(
    t,
    await c.nova.call('PUT', '/v2.1/os-hosts/compute-1', { token: c.admin, body: { status: 'off' } }),
    400,
    /Invalid input for field\/attribute status/,
  );
  novaRefused(t, await get('/v2.1/os-hosts/compute-1/reboot'), 501, 'The requested functionality is not supported.');
  novaRefused(t, await get('/v2.1/os-hosts/nope/shutdown'), 404, "Host 'nope' is not mapped to any cell");
  novaRefused(t, await get('/v2.1/os-hosts', c.admin, '2.43'), 404, 'The resource could not be found.');
  novaRefused(t, await get('/v2.1/os-hosts', c.demo), 403, /os-hosts:list/);
  const cli = await osc('--os-cloud', 'stratus', 'host', 'list', '-f', 'json');
  t.is(cli.code, 0, cli.stderr);
  t.true(cli.json.some((h: any) => h['Host Name'] === 'compute-1' && h.Service === 'compute'));
});
