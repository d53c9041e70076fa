import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openstack, python, startCloudProcess } from './helpers/cloud-process.js';
import { domainsOf } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { alive } from './helpers/processes.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('postgres');
const run = inThisPass ? test : test.skip;

// Debian's `openstack` CLI (novaclient, microversion 2.1) and openstacksdk against a whole cloud
// in its own process, as users run them. The SDK negotiates up to the cloud's 2.93.

const hypervisorDirs = (stateDir: string) => [1, 2].map((i) => join(stateDir, 'hv', String(i)));
const uris = (stateDir: string) => hypervisorDirs(stateDir).map((d) => `test+unix:///default?socket=${join(d, 'libvirt-sock')}`);

run('the CLI and the SDK boot, list, show and delete servers; projects stay apart; a graceful restart brings servers back', async (t) => {
  // 8 GiB hosts (12 GiB under the RAM ratio): m1.xlarge fits none of them.
  const c = await startTestCloud('compute-osc', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2', STRATUS_LIBVIRT_MEMORY_MB: '8192' });
  const stateDir = c.env.STRATUS_STATE_DIR;
  try {
    const osc = (cloud: string, ...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args]);
    const flavors = await osc('stratus', 'flavor', 'list', '-f', 'json');
    t.deepEqual(
      flavors.json.map((f: any) => f.Name),
      ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge'],
    );

    const web = await osc('stratus', 'server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '--wait', '-f', 'json', 'web');
    t.is(web.code, 0, web.stderr);
    t.like(web.json, { name: 'web', status: 'ACTIVE', 'OS-EXT-STS:vm_state': 'active', 'OS-EXT-AZ:availability_zone': 'nova' });
    t.regex(web.json.flavor, /m1\.tiny/);
    const mine = await osc('stratus-demo', 'server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '--wait', '-f', 'json', 'mine');
    t.is(mine.code, 0, mine.stderr);
    t.is(mine.json.status, 'ACTIVE');

    const adminList = await osc('stratus', 'server', 'list', '-f', 'json');
    t.deepEqual(
      adminList.json.map((s: any) => [s.Name, s.Status]),
      [['web', 'ACTIVE']],
    );
    const demoList = await osc('stratus-demo', 'server', 'list', '-f', 'json');
    t.deepEqual(
      demoList.json.map((s: any) => s.Name),
      ['mine'],
    );
    const show = await osc('stratus', 'server', 'show', '-f', 'json', web.json.id);
    t.is(show.json.id, web.json.id);
    t.regex(show.json['OS-EXT-SRV-ATTR:host'], /^compute-[12]$/);

    // Another project's server is not found, whether read or deleted.
    const peek = await osc('stratus-demo', 'server', 'show', web.json.id);
    t.not(peek.code, 0);
    t.regex(peek.stderr, new RegExp(`No server with a name or ID of '${web.json.id}' exists\\.`));
    const steal = await osc('stratus-demo', 'server', 'delete', web.json.id);
    t.not(steal.code, 0);
    t.regex(steal.stderr, new RegExp(`No server with a name or ID of '${web.json.id}' exists\\.`));
    t.is((await osc('stratus', 'server', 'show', '-f', 'json', web.json.id)).json.status, 'ACTIVE');

    const hypervisors = await osc('stratus', 'hypervisor', 'list', '-f', 'json');
    t.deepEqual(
      hypervisors.json.map((h: any) => [h['Hypervisor Hostname'], h.State]),
      [
        ['compute-1', 'up'],
        ['compute-2', 'up'],
      ],
    );
    const services = await osc('stratus', 'compute', 'service', 'list', '-f', 'json');
    t.deepEqual(services.json.map((s: any) => `${s.Binary}@${s.Host}`).sort(), [
      'nova-compute@compute-1',
      'nova-compute@compute-2',
      'nova-conductor@node-1',
      'nova-scheduler@node-1',
    ]);
    const computeOnly = await osc('stratus', 'compute', 'service', 'list', '--service', 'nova-compute', '-f', 'json');
    t.is(computeOnly.json.length, 2);
    const refused = await osc('stratus-demo', 'hypervisor', 'list');
    t.not(refused.code, 0);
    t.regex(refused.stderr, /Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed\. \(HTTP 403\)/);

    // No host has room: the CLI reports the failed build and `server show` displays Nova's fault.
    const big = await osc('stratus', 'server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.xlarge', '--wait', 'big');
    t.regex(big.stdout + big.stderr, /Error creating server/);
    const bigShow = await osc('stratus', 'server', 'show', '-f', 'json', 'big');
    t.is(bigShow.json.status, 'ERROR');
    t.like(bigShow.json.fault, { code: 500, message: 'No valid host was found. There are not enough hosts available.' });
    t.is((await osc('stratus', 'server', 'delete', '--wait', 'big')).code, 0);

    // A revoked token is refused by the compute API itself (the admin_token plugin skips Keystone).
    const token = (await osc('stratus', 'token', 'issue', '-f', 'value', '-c', 'id')).stdout.trim();
    t.is((await osc('stratus', 'token', 'revoke', token)).code, 0);
    const revoked = await openstack(c.cloudsYaml, [
      '--os-auth-type',
      'admin_token',
      '--os-endpoint',
      `http://127.0.0.1:${c.env.STRATUS_LISTEN_COMPUTE}/v2.1`,
      '--os-token',
      token,
      'server',
      'list',
    ]);
    t.not(revoked.code, 0);
    t.regex(revoked.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);

    // Refusals through the SDK: unknown flavor or image is Nova's 400, another project's server 404.
    const refusals = await python(
      c.cloudsYaml,
      `
import json, openstack
from openstack import exceptions
admin = openstack.connect(cloud='stratus')
demo = openstack.connect(cloud='stratus-demo')
image = admin.image.find_image('stratus-tiny')
def status(call):
    try:
        call()
        return 'ok'
    except exceptions.HttpException as e:
        return [e.status_code, str(e.details or e.message)]
print(json.dumps({
    'flavor': status(lambda: admin.compute.create_server(name='x', image_id=image.id, flavor_id='no-such-flavor', networks='none')),
    'image': status(lambda: admin.compute.create_server(name='x', image_id='00000000-0000-4000-8000-000000000000', flavor_id='1', networks='none')),
    'read': status(lambda: demo.compute.get_server('${web.json.id}')),
    'delete': status(lambda: demo.compute.delete_server('${web.json.id}', ignore_missing=False)),
    'names': sorted(s.name for s in admin.compute.servers()),
}))
`,
    );
    t.is(refusals.code, 0, refusals.stderr);
    t.deepEqual(refusals.json.flavor, [400, 'Flavor no-such-flavor could not be found.']);
    t.deepEqual(refusals.json.image, [400, 'Can not find requested image']);
    t.deepEqual(refusals.json.read, [404, `Instance ${web.json.id} could not be found.`]);
    t.deepEqual(refusals.json.delete, [404, `Instance ${web.json.id} could not be found.`]);
    t.deepEqual(refusals.json.names, ['web']);

    const sdk = await python(
      c.cloudsYaml,
      `
import json, openstack
conn = openstack.connect(cloud='stratus')
image = conn.image.find_image('stratus-tiny')
flavor = conn.compute.find_flavor('m1.tiny')
server = conn.compute.create_server(name='sdk-vm', image_id=image.id, flavor_id=flavor.id, networks='none')
server = conn.compute.wait_for_server(server, status='ACTIVE', interval=0.2, wait=120)
names = sorted(s.name for s in conn.compute.servers())
conn.compute.delete_server(server)
conn.compute.wait_for_delete(server, interval=0.2, wait=120)
after = sorted(s.name for s in conn.compute.servers())
print(json.dumps({'status': server.status, 'host': server.compute_host, 'names': names, 'after': after}))
`,
    );
    t.is(sdk.code, 0, sdk.stderr);
    t.like(sdk.json, { status: 'ACTIVE', names: ['sdk-vm', 'web'], after: ['web'] });

    const gone = await osc('stratus-demo', 'server', 'delete', '--wait', 'mine');
    t.is(gone.code, 0, gone.stderr);
    t.deepEqual((await osc('stratus-demo', 'server', 'list', '-f', 'json')).json, []);

    // A graceful stop takes the hypervisors down within 10 s; the next start brings the servers back.
    const before = await domainsOf(uris(stateDir));
    t.deepEqual([...before.keys()], [web.json.id]);
    const pids = hypervisorDirs(stateDir).map((d) => Number(readFileSync(join(d, 'keeper.pid'), 'utf8')));
    t.is(await c.cloud.stop(), 0);
    // The stop itself is bounded by timeouts.shutdownMs (10 s); the wait here is only generous.
    await eventually(() => pids.every((pid) => !alive(pid)), 60_000);
    t.false(existsSync(join(hypervisorDirs(stateDir)[0], 'ready')));
    c.cloud = await startCloudProcess(c.env);
    const back = await osc('stratus', 'server', 'show', '-f', 'json', web.json.id);
    t.like(back.json, { status: 'ACTIVE', 'OS-EXT-STS:power_state': 1 });
    const after = await domainsOf(uris(stateDir));
    t.deepEqual([...after.keys()], [web.json.id]);
    t.is(after.get(web.json.id)!.powerState, 1);
  } finally {
    await stopTestCloud(c);
  }
});
