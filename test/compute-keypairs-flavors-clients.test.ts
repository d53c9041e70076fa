import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openstack, python } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('postgres');
const run = inThisPass ? test : test.skip;

// Debian's `openstack` CLI (at its default 2.1 and at 2.92) and openstacksdk (negotiating 2.93)
// managing flavors and key pairs, booting with a key pair and reading limits and usage.

function ed25519Line(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const part = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([part(Buffer.from('ssh-ed25519')), part(Buffer.from(jwk.x!, 'base64url'))]).toString('base64')} cli@test`;
}

run('the openstack CLI manages flavors, their properties and access, key pairs, and reads limits and usage', async (t) => {
  const c = await startTestCloud('kf-osc', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1' });
  try {
    const osc = (cloud: string, ...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args]);
    const osc292 = (cloud: string, ...args: string[]) => osc(cloud, '--os-compute-api-version', '2.92', ...args);

    const made = await osc('stratus', 'flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', '--id', 'cli-1', '-f', 'json', 'cli.small');
    t.is(made.code, 0, made.stderr);
    t.like(made.json, { id: 'cli-1', name: 'cli.small', ram: 256, disk: 1, vcpus: 1 });
    t.is((await osc('stratus', 'flavor', 'set', '--property', 'hw:cpu_policy=shared', '--property', 'color=blue', 'cli.small')).code, 0);
    const shown = await osc('stratus', 'flavor', 'show', '-f', 'json', 'cli.small');
    t.is(shown.code, 0, shown.stderr);
    t.deepEqual(shown.json.properties, { color: 'blue', 'hw:cpu_policy': 'shared' });
    t.is((await osc('stratus', 'flavor', 'unset', '--property', 'color', 'cli.small')).code, 0);
    t.deepEqual((await osc('stratus', 'flavor', 'show', '-f', 'json', 'cli.small')).json.properties, { 'hw:cpu_policy': 'shared' });
    const refused = await osc('stratus-demo', 'flavor', 'create', '--ram', '64', '--disk', '0', '--vcpus', '1', 'mine');
    t.not(refused.code, 0);
    t.regex(refused.stderr, /HttpException: 403: .*Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed\./);

    const hidden = await osc(
      'stratus',
      'flavor',
      'create',
      '--ram',
      '128',
      '--disk',
      '1',
      '--vcpus',
      '1',
      '--private',
      '--project',
      'demo',
      '-f',
      'json',
      'cli.private',
    );
    t.is(hidden.code, 0, hidden.stderr);
    t.false(hidden.json['os-flavor-access:is_public'] ?? hidden.json.is_public);
    const secret = await osc('stratus', 'flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', '--private', '-f', 'json', 'cli.secret');
    t.is(secret.code, 0, secret.stderr);
    const demoList = await osc('stratus-demo', 'flavor', 'list', '-f', 'json');
    const demoNames = demoList.json.map((f: any) => f.Name);
    t.true(demoNames.includes('cli.private'));
    t.false(demoNames.includes('cli.secret'));
    t.is((await osc('stratus', 'flavor', 'set', '--project', 'demo', 'cli.secret')).code, 0);
    t.true((await osc('stratus-demo', 'flavor', 'list', '-f', 'json')).json.some((f: any) => f.Name === 'cli.secret'));
    const all = await osc('stratus', 'flavor', 'list', '--all', '-f', 'json');
    t.true(['m1.tiny', 'cli.small', 'cli.private', 'cli.secret'].every((n) => all.json.some((f: any) => f.Name === n)));

    // At 2.1 the cloud generates the key pair and the CLI prints its private key.
    const generated = await osc('stratus-demo', 'keypair', 'create', 'gen');
    t.is(generated.code, 0, generated.stderr);
    t.regex(generated.stdout, /-----BEGIN RSA PRIVATE KEY-----/);
    const keyFile = join(c.dir, 'imported.pub');
    const line = ed25519Line();
    writeFileSync(keyFile, `${line}\n`);
    const imported = await osc292('stratus-demo', 'keypair', 'create', '--public-key', keyFile, '-f', 'json', 'me@laptop');
    t.is(imported.code, 0, imported.stderr);
    t.like(imported.json, { name: 'me@laptop', type: 'ssh' });
    const keys = await osc292('stratus-demo', 'keypair', 'list', '-f', 'json');
    t.deepEqual(keys.json.map((k: any) => k.Name).sort(), ['gen', 'me@laptop']);
    const key = await osc292('stratus-demo', 'keypair', 'show', '-f', 'json', 'me@laptop');
    t.like(key.json, { name: 'me@laptop', type: 'ssh' });
    t.regex(key.json.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    t.is((await osc292('stratus-demo', 'keypair', 'show', '--public-key', 'me@laptop')).stdout.trim(), line);
    t.deepEqual((await osc('stratus', 'keypair', 'list', '-f', 'json')).json, [], 'key pairs belong to their user');

    const server = await osc(
      'stratus-demo',
      'server',
      'create',
      '--image',
      'stratus-tiny',
      '--flavor',
      'cli.secret',
      '--key-name',
      'gen',
      '--wait',
      '-f',
      'json',
      'keyed',
    );
    t.is(server.code, 0, server.stderr);
    t.like(server.json, { status: 'ACTIVE', key_name: 'gen' });
    const badKey = await osc('stratus-demo', 'server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '--key-name', 'nope', 'nokey');
    t.not(badKey.code, 0);
    t.regex(badKey.stderr, /Invalid key_name provided\. \(HTTP 400\)/);

    const limits = await osc('stratus-demo', 'limits', 'show', '--absolute', '-f', 'json');
    t.is(limits.code, 0, limits.stderr);
    const limit = (name: string) => limits.json.find((l: any) => l.Name === name)?.Value;
    t.is(limit('totalInstancesUsed'), 1);
    t.is(limit('totalRAMUsed'), 128);
    t.is(limit('maxTotalKeypairs'), 100);

    const usage = await osc('stratus', 'usage', 'list', '-f', 'json');
    t.is(usage.code, 0, usage.stderr);
    t.is(usage.json.length, 1);
    t.deepEqual(
      usage.json[0].Servers.map((u: any) => [u.name, u.state, u.flavor]),
      [['keyed', 'active', 'cli.secret']],
    );
    const own = await osc('stratus-demo', 'usage', 'show', '-f', 'json');
    t.is(own.code, 0, own.stderr);
    t.is(own.json.Servers.length, 1);

    t.is((await osc('stratus-demo', 'server', 'delete', '--wait', 'keyed')).code, 0);
    t.is((await osc('stratus-demo', 'keypair', 'delete', 'gen')).code, 0);
    t.is((await osc292('stratus-demo', 'keypair', 'delete', 'me@laptop')).code, 0);
    t.deepEqual((await osc('stratus-demo', 'keypair', 'list', '-f', 'json')).json, []);
    t.is((await osc('stratus', 'flavor', 'delete', 'cli.small')).code, 0);
    const missing = await osc('stratus', 'flavor', 'show', 'cli.small');
    t.not(missing.code, 0);
    t.regex(missing.stderr, /No Flavor found for cli\.small/);
  } finally {
    await stopTestCloud(c);
  }
});

run('openstacksdk at 2.93 manages flavors, extra specs, access and key pairs, boots with a key and reads limits and usage', async (t) => {
  const c = await startTestCloud('kf-sdk', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '1' });
  try {
    const line = ed25519Line();
    const r = await python(
      c.cloudsYaml,
      `
import json, datetime, openstack
admin = openstack.connect(cloud='stratus')
demo = openstack.connect(cloud='stratus-demo')
out = {'version': '.'.join(map(str, admin.compute.get_endpoint_data().max_microversion))}
f = admin.compute.create_flavor(name='sdk.flavor', ram=128, vcpus=1, disk=1, is_public=False, description='from the sdk')
out['flavor'] = [f.name, f.ram, f.is_public, f.description]
admin.compute.create_flavor_extra_specs(f, {'hw:cpu_policy': 'dedicated'})
out['specs'] = admin.compute.fetch_flavor_extra_specs(f).extra_specs
# The SDK's flavors speak 2.61; values are checked from 2.86, so at 2.93 through its session.
bad = admin.compute.post('/flavors/%s/os-extra_specs' % f.id, json={'extra_specs': {'hw:cpu_policy': 'often'}}, microversion='2.93')
out['bad_spec'] = [bad.status_code, bad.json()['badRequest']['message']]
demo_project = admin.identity.find_project('demo').id
out['before'] = demo.compute.find_flavor('sdk.flavor') is not None
admin.compute.flavor_add_tenant_access(f, demo_project)
out['access'] = [a['tenant_id'] for a in admin.compute.get_flavor_access(f)]
out['after'] = demo.compute.find_flavor('sdk.flavor') is not None
out['shown'] = demo.compute.get_flavor(f.id).extra_specs
# The SDK speaks 2.10 for key pairs: the cloud generates one. At 2.93 it must be given one.
g = demo.compute.create_keypair(name='sdk-gen')
out['generated'] = [g.name, g.private_key.startswith('-----BEGIN RSA PRIVATE KEY-----')]
refused = demo.compute.post('/os-keypairs', json={'keypair': {'name': 'gen93'}}, microversion='2.93')
out['generate'] = [refused.status_code, refused.json()['badRequest']['message']]
k = demo.compute.create_keypair(name='sdk-key', public_key='${line}')
out['key'] = [k.name, k.type, k.fingerprint is not None]
out['keys'] = [x.name for x in demo.compute.keypairs()]
server = demo.compute.create_server(name='sdk-vm', image_id=demo.image.find_image('stratus-tiny').id, flavor_id=f.id, key_name='sdk-key', networks='none')
server = demo.compute.wait_for_server(server, status='ACTIVE', interval=0.2, wait=120)
out['server'] = [server.status, server.key_name]
limits = demo.compute.get_limits()
out['limits'] = [limits.absolute.instances_used, limits.absolute.keypairs, limits.absolute.total_ram_used]
start = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
usage = admin.compute.get_usage(demo_project, start=start)
out['usage'] = [len(usage.server_usages), usage.server_usages[0]['name'], usage.server_usages[0]['state']]
out['usages'] = len(list(admin.compute.usages(start=start, detailed=True)))
demo.compute.delete_server(server)
demo.compute.wait_for_delete(server, interval=0.2, wait=120)
demo.compute.delete_keypair('sdk-key')
demo.compute.delete_keypair('sdk-gen')
out['keys_after'] = [x.name for x in demo.compute.keypairs()]
admin.compute.flavor_remove_tenant_access(f, demo_project)
out['removed'] = demo.compute.find_flavor('sdk.flavor') is not None
admin.compute.delete_flavor(f)
out['deleted'] = admin.compute.find_flavor(f.id) is None
print(json.dumps(out))
`,
    );
    t.is(r.code, 0, r.stderr);
    t.like(r.json, {
      version: '2.93',
      flavor: ['sdk.flavor', 128, false, 'from the sdk'],
      specs: { 'hw:cpu_policy': 'dedicated' },
      before: false,
      after: true,
      shown: { 'hw:cpu_policy': 'dedicated' },
      generated: ['sdk-gen', true],
      key: ['sdk-key', 'ssh', true],
      keys: ['sdk-gen', 'sdk-key'],
      server: ['ACTIVE', 'sdk-key'],
      limits: [1, 100, 128],
      usage: [1, 'sdk-vm', 'active'],
      usages: 1,
      keys_after: [],
      removed: false,
      deleted: true,
    });
    t.deepEqual(r.json.bad_spec, [400, "Validation failed; 'often' is not one of: dedicated, shared, mixed."]);
    t.is(r.json.generate[0], 400);
    t.regex(r.json.generate[1], /'public_key' is a required property/);
    t.is(r.json.access.length, 1);
  } finally {
    await stopTestCloud(c);
  }
});
