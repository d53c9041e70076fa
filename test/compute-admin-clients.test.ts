import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { openstack, python } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud, type TestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('postgres');
const run = inThisPass ? test : test.skip;

// Debian's `openstack` CLI and openstacksdk against a whole cloud in its own process, on the admin
// side of the Compute API: hypervisors, compute services and availability zones. One cloud per test.
// openstackclient 6 sends the hypervisor and zone commands through novaclient, at the version asked
// for (2.1 by default), but the `compute service` commands through openstacksdk, which negotiates
// its own (2.69 for services) whatever --os-compute-api-version says.

const start = (name: string) => startTestCloud(name, { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2' });
const cli =
  (c: TestCloud, version?: string) =>
  (cloud: string, ...args: string[]) =>
    openstack(c.cloudsYaml, ['--os-cloud', cloud, ...(version ? ['--os-compute-api-version', version] : []), ...args]);
const byHost = (rows: any[]) => Object.fromEntries(rows.map((r) => [`${r.Binary}@${r.Host}`, r]));

run('the CLI at its default 2.1: hypervisors with integer ids, statistics, compute services by host and binary, zones', async (t) => {
  const c = await start('admin-osc-21');
  try {
    const osc = cli(c);
    const list = await osc('stratus', 'hypervisor', 'list', '--long', '-f', 'json');
    t.is(list.code, 0, list.stderr);
    t.deepEqual(
      list.json.map((h: any) => [h['Hypervisor Hostname'], h['Hypervisor Type'], h.State, h.vCPUs, h['Memory MB']]),
      [
        ['compute-1', 'TEST', 'up', 16, 32768],
        ['compute-2', 'TEST', 'up', 16, 32768],
      ],
    );
    t.true(list.json.every((h: any) => Number.isInteger(h.ID)));
    const show = await osc('stratus', 'hypervisor', 'show', '-f', 'json', 'compute-1');
    t.is(show.code, 0, show.stderr);
    t.like(show.json, { hypervisor_hostname: 'compute-1', service_host: 'compute-1', state: 'up', status: 'enabled', vcpus: 16, aggregates: [] });
    t.is(show.json.id, list.json[0].ID);
    t.is(typeof show.json.load_average, 'string', 'the uptime route answered what the CLI parses');
    const stats = await osc('stratus', 'hypervisor', 'stats', 'show', '-f', 'json');
    t.is(stats.code, 0, stats.stderr);
    t.like(stats.json, { count: 2, vcpus: 32, memory_mb: 65536, running_vms: 0 });

    const services = await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json');
    t.is(services.code, 0, services.stderr);
    t.deepEqual(services.json.map((s: any) => `${s.Binary}@${s.Host}:${s.Zone}:${s.Status}:${s.State}`).sort(), [
      'nova-compute@compute-1:nova:enabled:up',
      'nova-compute@compute-2:nova:enabled:up',
      'nova-conductor@node-1:internal:enabled:up',
      'nova-scheduler@node-1:internal:enabled:up',
    ]);
    const disable = await osc(
      'stratus',
      'compute',
      'service',
      'set',
      '--disable',
      '--disable-reason',
      'maintenance window',
      'compute-1',
      'nova-compute',
    );
    t.is(disable.code, 0, disable.stderr);
    const disabled = byHost((await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json')).json)['nova-compute@compute-1'];
    t.like(disabled, { Status: 'disabled', State: 'up', 'Disabled Reason': 'maintenance window' });
    t.is((await osc('stratus', 'hypervisor', 'show', '-f', 'json', 'compute-1')).json.status, 'disabled');
    t.is((await osc('stratus', 'hypervisor', 'stats', 'show', '-f', 'json')).json.count, 1, 'statistics count enabled services only');
    t.is((await osc('stratus', 'compute', 'service', 'set', '--enable', 'compute-1', 'nova-compute')).code, 0);
    t.is(byHost((await osc('stratus', 'compute', 'service', 'list', '-f', 'json')).json)['nova-compute@compute-1'].Status, 'enabled');
    t.is((await osc('stratus', 'compute', 'service', 'set', '--down', 'compute-1', 'nova-compute')).code, 0);
    t.like(byHost((await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json')).json)['nova-compute@compute-1'], {
      State: 'down',
      'Forced Down': true,
    });
    t.deepEqual(
      (await osc('stratus', 'hypervisor', 'list', '-f', 'json')).json.map((h: any) => h.State),
      ['down', 'up'],
    );
    // A down host has no uptime: Nova's 400, which this CLI's `hypervisor show` passes on rather than showing the rest.
    const unavailable = await osc('stratus', 'hypervisor', 'show', 'compute-1');
    t.not(unavailable.code, 0);
    t.regex(unavailable.stderr, /Compute service of compute-1 is unavailable at this time\. \(HTTP 400\)/);
    t.is((await osc('stratus', 'compute', 'service', 'set', '--up', 'compute-1', 'nova-compute')).code, 0);
    t.is(byHost((await osc('stratus', 'compute', 'service', 'list', '-f', 'json')).json)['nova-compute@compute-1'].State, 'up');
    // This CLI hides the API's answer behind its own words: --debug shows the response it got.
    const scheduler = await osc('stratus', '--debug', 'compute', 'service', 'set', '--disable', 'node-1', 'nova-scheduler');
    t.not(scheduler.code, 0, 'only nova-compute services can be updated');
    t.regex(scheduler.stderr, /Compute service nova-scheduler of host node-1 failed to set\./);
    t.regex(scheduler.stderr, /RESP: \[400\][\s\S]*Updating a nova-scheduler service is not supported\. Only nova-compute services can be updated\./);

    const zones = await osc('stratus', 'availability', 'zone', 'list', '--compute', '-f', 'json');
    t.is(zones.code, 0, zones.stderr);
    t.deepEqual(
      zones.json.map((z: any) => [z['Zone Name'], z['Zone Status']]),
      [
        ['internal', 'available'],
        ['nova', 'available'],
      ],
    );
    const long = await osc('stratus', 'availability', 'zone', 'list', '--compute', '--long', '-f', 'json');
    t.deepEqual(long.json.map((z: any) => `${z['Zone Name']}/${z['Host Name']}/${z['Service Name']}`).sort(), [
      'internal/node-1/nova-conductor',
      'internal/node-1/nova-scheduler',
      'nova/compute-1/nova-compute',
      'nova/compute-2/nova-compute',
    ]);
    t.true(long.json.every((z: any) => /^enabled :-\) \d{4}-/.test(z['Service Status'])));
    const demoZones = await osc('stratus-demo', 'availability', 'zone', 'list', '--compute', '-f', 'json');
    t.is(demoZones.code, 0, demoZones.stderr);
    t.deepEqual(
      demoZones.json.map((z: any) => z['Zone Name']),
      ['nova'],
      'a member falls back to the summary, which hides internal',
    );
    const refused = await osc('stratus-demo', 'compute', 'service', 'list');
    t.not(refused.code, 0);
    t.regex(refused.stderr, /HttpException: 403: .*Policy doesn't allow os_compute_api:os-services:list to be performed\./);

    // A compute service hosting a server cannot be deleted; an idle one can, with its hypervisor.
    const web = await osc('stratus', 'server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '--wait', '-f', 'json', 'web');
    t.is(web.code, 0, web.stderr);
    const rows = byHost((await osc('stratus', 'compute', 'service', 'list', '-f', 'json')).json);
    const busy = web.json['OS-EXT-SRV-ATTR:host'];
    const idle = busy === 'compute-1' ? 'compute-2' : 'compute-1';
    const held = await osc('stratus', 'compute', 'service', 'delete', String(rows[`nova-compute@${busy}`].ID));
    t.not(held.code, 0);
    t.regex(
      held.stderr,
      /ConflictException: 409: .*Unable to delete compute service that is hosting instances\. Migrate or delete the instances first\./,
    );
    const gone = await osc('stratus', 'compute', 'service', 'delete', String(rows[`nova-compute@${idle}`].ID));
    t.is(gone.code, 0, gone.stderr);
    t.deepEqual(
      (await osc('stratus', 'hypervisor', 'list', '-f', 'json')).json.map((h: any) => h['Hypervisor Hostname']),
      [busy],
    );
  } finally {
    await stopTestCloud(c);
  }
});

run('the CLI at 2.92: UUID ids, uptime in the show, no statistics; services set by UUID, forced down and up, deleted', async (t) => {
  const c = await start('admin-osc-292');
  try {
    const osc = cli(c, '2.92');
    const list = await osc('stratus', 'hypervisor', 'list', '-f', 'json');
    t.is(list.code, 0, list.stderr);
    t.deepEqual(
      list.json.map((h: any) => h['Hypervisor Hostname']),
      ['compute-1', 'compute-2'],
    );
    t.true(list.json.every((h: any) => /^[0-9a-f-]{36}$/.test(h.ID)));
    const show = await osc('stratus', 'hypervisor', 'show', '-f', 'json', list.json[1].ID);
    t.is(show.code, 0, show.stderr);
    t.like(show.json, { hypervisor_hostname: 'compute-2', state: 'up', status: 'enabled' });
    t.false('vcpus' in show.json, '2.88 dropped the resource figures');
    t.is(typeof show.json.load_average, 'string', 'the uptime came with the show');
    const stats = await osc('stratus', 'hypervisor', 'stats', 'show');
    t.not(stats.code, 0);
    t.regex(stats.stderr, /removed in API version 2\.88/);

    const services = await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json');
    t.is(services.code, 0, services.stderr);
    t.true(services.json.every((s: any) => /^[0-9a-f-]{36}$/.test(s.ID)));
    t.true(services.json.every((s: any) => s['Forced Down'] === false));
    t.is((await osc('stratus', 'compute', 'service', 'set', '--disable', '--disable-reason', 'drain', 'compute-2', 'nova-compute')).code, 0);
    t.like(byHost((await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json')).json)['nova-compute@compute-2'], {
      Status: 'disabled',
      'Disabled Reason': 'drain',
    });
    const down = await osc('stratus', 'compute', 'service', 'set', '--down', 'compute-2', 'nova-compute');
    t.is(down.code, 0, down.stderr);
    t.like(byHost((await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json')).json)['nova-compute@compute-2'], {
      State: 'down',
      'Forced Down': true,
    });
    // Not `hypervisor show`: for a down host 2.88 answers uptime null, which this CLI cannot parse (as with Nova).
    t.deepEqual(
      (await osc('stratus', 'hypervisor', 'list', '-f', 'json')).json.map((h: any) => h.State),
      ['up', 'down'],
    );
    t.is((await osc('stratus', 'compute', 'service', 'set', '--enable', '--up', 'compute-2', 'nova-compute')).code, 0);
    t.like(byHost((await osc('stratus', 'compute', 'service', 'list', '--long', '-f', 'json')).json)['nova-compute@compute-2'], {
      Status: 'enabled',
      State: 'up',
      'Forced Down': false,
      'Disabled Reason': null,
    });

    const compute2 = byHost(services.json)['nova-compute@compute-2'].ID;
    t.is((await osc('stratus', 'compute', 'service', 'delete', compute2)).code, 0);
    t.deepEqual(
      (await osc('stratus', 'compute', 'service', 'list', '--service', 'nova-compute', '-f', 'json')).json.map((s: any) => s.Host),
      ['compute-1'],
    );
    const again = await osc('stratus', 'compute', 'service', 'delete', compute2);
    t.not(again.code, 0);
    t.regex(again.stderr, new RegExp(`ResourceNotFound: 404: .*Service ${compute2} not found\\.`));

    const zones = await osc('stratus', 'availability', 'zone', 'list', '--compute', '--long', '-f', 'json');
    t.deepEqual(
      zones.json.filter((z: any) => z['Zone Name'] === 'nova').map((z: any) => z['Host Name']),
      ['compute-1'],
    );
  } finally {
    await stopTestCloud(c);
  }
});

run('openstacksdk at 2.93: hypervisors, services disabled, forced down and enabled again, zones', async (t) => {
  const c = await start('admin-sdk');
  try {
    const sdk = await python(
      c.cloudsYaml,
      `
import json, openstack
from openstack import exceptions
conn = openstack.connect(cloud='stratus')
demo = openstack.connect(cloud='stratus-demo')
out = {}
hypervisors = list(conn.compute.hypervisors(details=True))
out['hypervisors'] = [[h.name, h.state, h.status, h.hypervisor_type, h.uptime is not None, h.vcpus] for h in hypervisors]
out['shown'] = conn.compute.get_hypervisor(hypervisors[0].id).name
out['found'] = conn.compute.find_hypervisor('compute-2').name
def state(host):
    s = [s for s in conn.compute.services() if s.host == host and s.binary == 'nova-compute'][0]
    return [s.status, s.state, s.disabled_reason, s.is_forced_down]
compute1 = [s for s in conn.compute.services() if s.host == 'compute-1'][0]
out['services'] = sorted('%s@%s:%s' % (s.binary, s.host, s.availability_zone) for s in conn.compute.services())
conn.compute.disable_service(compute1, disabled_reason='sdk maintenance')
out['disabled'] = state('compute-1')
conn.compute.update_service_forced_down(compute1, forced=True)
out['forced'] = state('compute-1')
conn.compute.update_service_forced_down(compute1, forced=False)
conn.compute.enable_service(compute1)
out['enabled'] = state('compute-1')
out['zones'] = [[z.name, z.state['available']] for z in conn.compute.availability_zones(details=True)]
out['demo_zones'] = [z.name for z in demo.compute.availability_zones()]
try:
    list(demo.compute.hypervisors())
    out['demo_hypervisors'] = 'allowed'
except exceptions.HttpException as e:
    out['demo_hypervisors'] = [e.status_code, str(e.details or e.message)]
compute2 = [s for s in conn.compute.services() if s.host == 'compute-2'][0]
conn.compute.delete_service(compute2, ignore_missing=False)
out['after_delete'] = [h.name for h in conn.compute.hypervisors()]
print(json.dumps(out))
`,
    );
    t.is(sdk.code, 0, sdk.stderr);
    t.deepEqual(sdk.json.hypervisors, [
      ['compute-1', 'up', 'enabled', 'TEST', true, null],
      ['compute-2', 'up', 'enabled', 'TEST', true, null],
    ]);
    t.is(sdk.json.shown, 'compute-1');
    t.is(sdk.json.found, 'compute-2');
    t.deepEqual(sdk.json.services, [
      'nova-compute@compute-1:nova',
      'nova-compute@compute-2:nova',
      'nova-conductor@node-1:internal',
      'nova-scheduler@node-1:internal',
    ]);
    t.deepEqual(sdk.json.disabled, ['disabled', 'up', 'sdk maintenance', false]);
    t.deepEqual(sdk.json.forced, ['disabled', 'down', 'sdk maintenance', true]);
    t.deepEqual(sdk.json.enabled, ['enabled', 'up', null, false]);
    t.deepEqual(sdk.json.zones, [
      ['internal', true],
      ['nova', true],
    ]);
    t.deepEqual(sdk.json.demo_zones, ['nova']);
    t.deepEqual(sdk.json.demo_hypervisors, [403, "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed."]);
    t.deepEqual(sdk.json.after_delete, ['compute-1']);
  } finally {
    await stopTestCloud(c);
  }
});
