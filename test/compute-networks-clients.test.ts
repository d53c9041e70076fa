import test, { type ExecutionContext } from 'ava';
import { clientsPass } from './helpers/database.js';
import { openstack, python } from './helpers/cloud-process.js';
import { startTestCloud, stopTestCloud, type TestCloud } from './helpers/test-cloud.js';

const inThisPass = clientsPass('sqlite');
const runSerial = inThisPass ? test.serial : test.serial.skip;

// Servers and their ports through Debian's `openstack` CLI and openstacksdk, against a whole cloud on simulated
// hosts: each form of `networks` at boot, the addresses the ports hold, Nova's refusals, ports that follow a
// resize and go (or, the user's own, are only released) with their server.

const run = (c: TestCloud, cloud: string, ...args: string[]) => openstack(c.cloudsYaml, ['--os-cloud', cloud, ...args]);
const ok = async (t: ExecutionContext, c: TestCloud, cloud: string, ...args: string[]) => {
  const r = await run(c, cloud, ...args);
  const exited = c.cloud.child.exitCode ?? c.cloud.child.signalCode;
  const why = exited !== null ? ` (the cloud exited: ${String(exited)}: ${c.cloud.stderr.join('').slice(-2000)})` : '';
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}${why}`);
  return r.json;
};
const BOOT = ['server', 'create', '--image', 'stratus-tiny', '--flavor', 'm1.tiny', '--wait', '-f', 'json'];

/** Polls until `check` holds (bounded): the reconciler binds and removes ports a moment after the server changed. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// One cloud for the serial steps below (each its own test, so no one step runs into ava's timeout).
let c: TestCloud;
const state: Record<string, any> = {};
const adminPort = (t: ExecutionContext, id: string) => ok(t, c, 'stratus', 'port', 'show', id, '-f', 'json');
const portsOf = async (t: ExecutionContext, server: string) =>
  (await ok(t, c, 'stratus', 'port', 'list', '--device-id', server, '-f', 'json')) as Array<{ ID: string }>;

test.before(async () => {
  if (!inThisPass) return;
  c = await startTestCloud('compute-networks', { STRATUS_LIBVIRT_SIMULATED_HOSTS: '2' });
});
test.after.always(async () => {
  if (!inThisPass) return;
  if (c) await stopTestCloud(c);
});

runSerial('a boot without networks gets a port on the project’s only network, bound to its host, in the default group', async (t) => {
  // No networks asked, below 2.37: the demo project's only network, devstack's private.
  const plain = await ok(t, c, 'stratus-demo', ...BOOT, 'plain');
  t.is(plain.status, 'ACTIVE');
  const shown = await ok(t, c, 'stratus-demo', 'server', 'show', 'plain', '-f', 'json');
  t.regex(JSON.stringify(shown.addresses), /private.*10\.0\.0\.\d+/);
  const [plainPort] = await portsOf(t, plain.id);
  t.truthy(plainPort);
  const host = (await ok(t, c, 'stratus', 'server', 'show', plain.id, '-f', 'json'))['OS-EXT-SRV-ATTR:host'];
  const bound = await until(
    'plain port bound',
    () => adminPort(t, plainPort.ID),
    (p) => p.binding_host_id === host,
  );
  t.like(bound, { device_id: plain.id, device_owner: 'compute:nova', status: 'ACTIVE' });
  t.true(shown.security_groups.some((g: { name: string }) => g.name === 'default'));

  Object.assign(state, { plain, plainPort, host });
});

runSerial('with two networks one must be named (409); a fixed address, two networks, a missing network', async (t) => {
  // A second network: naming one is now required (409 without), a fixed address is kept.
  const net2 = await ok(t, c, 'stratus-demo', 'network', 'create', 'net2', '-f', 'json');
  await ok(t, c, 'stratus-demo', 'subnet', 'create', '--network', 'net2', '--subnet-range', '10.1.0.0/24', 'net2-v4', '-f', 'json');
  const ambiguous = await run(c, 'stratus-demo', ...BOOT, 'which');
  t.not(ambiguous.code, 0);
  t.regex(ambiguous.stderr, /Multiple possible networks found, use a Network ID to be more specific\. \(HTTP 409\)/);
  const fixed = await ok(t, c, 'stratus-demo', ...BOOT, '--nic', `net-id=${net2.id},v4-fixed-ip=10.1.0.50`, 'fixed');
  t.deepEqual((await ok(t, c, 'stratus-demo', 'server', 'show', fixed.id, '-f', 'json')).addresses, { net2: ['10.1.0.50'] });
  const taken = await run(c, 'stratus-demo', ...BOOT, '--nic', `net-id=${net2.id},v4-fixed-ip=10.1.0.50`, 'again');
  t.not(taken.code, 0);
  t.regex(taken.stderr, /Fixed IP 10\.1\.0\.50 is already in use\. \(HTTP 409\)/);
  const both = await ok(t, c, 'stratus-demo', ...BOOT, '--network', 'private', '--network', 'net2', 'both');
  const bothShown = await ok(t, c, 'stratus-demo', 'server', 'show', both.id, '-f', 'json');
  t.deepEqual(Object.keys(bothShown.addresses).sort(), ['net2', 'private']);

  Object.assign(state, { net2, both });
});

runSerial('the user’s own port, none, and a server’s interfaces and ips through openstacksdk', async (t) => {
  const { net2, both } = state;
  // The user's own port: used as given, 409 once in use, only released when its server goes.
  const mine = await ok(t, c, 'stratus-demo', 'port', 'create', '--network', 'net2', '--fixed-ip', 'ip-address=10.1.0.77', 'mine', '-f', 'json');
  const onPort = await ok(t, c, 'stratus-demo', ...BOOT, '--nic', `port-id=${mine.id}`, 'on-port');
  t.deepEqual((await ok(t, c, 'stratus-demo', 'server', 'show', onPort.id, '-f', 'json')).addresses, { net2: ['10.1.0.77'] });
  const inUse = await run(c, 'stratus-demo', ...BOOT, '--nic', `port-id=${mine.id}`, 'twice');
  t.regex(inUse.stderr, new RegExp(`Port ${mine.id} is still in use\\. \\(HTTP 409\\)`));

  // `none` (2.37): no port, no address.
  const bare = await ok(t, c, 'stratus-demo', '--os-compute-api-version', '2.37', ...BOOT, '--nic', 'none', 'bare');
  t.deepEqual((await ok(t, c, 'stratus-demo', 'server', 'show', bare.id, '-f', 'json')).addresses, {});
  t.deepEqual(await portsOf(t, bare.id), []);

  // openstacksdk: the interfaces and ips of a server with two ports.
  const sdk = await python(
    c.cloudsYaml,
    `
import json, sys, openstack
conn = openstack.connect(cloud='stratus-demo')
server = conn.compute.get_server(sys.argv[1])
ifaces = [{'port_id': i.port_id, 'net_id': i.net_id, 'ips': [f['ip_address'] for f in i.fixed_ips]} for i in conn.compute.server_interfaces(server)]
ips = conn.compute.get('/servers/%s/ips' % server.id).json()
one = conn.compute.get('/servers/%s/ips/net2' % server.id).json()
missing = conn.compute.get('/servers/%s/ips/public' % server.id)
image = conn.image.find_image('stratus-tiny').id
flavor = conn.compute.find_flavor('m1.tiny').id
lost = conn.compute.post('/servers', json={'server': {'name': 'lost', 'imageRef': image, 'flavorRef': flavor, 'networks': [{'uuid': '8f1c2e0a-2f1e-4d3c-9b1a-0c0d0e0f1a2b'}]}})
print(json.dumps({'ifaces': ifaces, 'ips': ips, 'one': one, 'missing': [missing.status_code, missing.json()], 'lost': [lost.status_code, lost.json()]}))
`,
    [both.id],
  );
  t.is(sdk.code, 0, sdk.stderr);
  t.is(sdk.json.ifaces.length, 2);
  t.deepEqual(
    sdk.json.ifaces.map((i: { net_id: string }) => i.net_id).sort(),
    [net2.id, (await ok(t, c, 'stratus-demo', 'network', 'show', 'private', '-f', 'json')).id].sort(),
  );
  t.deepEqual(Object.keys(sdk.json.ips.addresses).sort(), ['net2', 'private']);
  t.is(sdk.json.one.net2.length, 1);
  t.deepEqual(sdk.json.one.net2[0].version, 4);
  t.deepEqual(sdk.json.lost, [400, { badRequest: { code: 400, message: 'Network 8f1c2e0a-2f1e-4d3c-9b1a-0c0d0e0f1a2b could not be found.' } }]);
  t.deepEqual(sdk.json.missing, [404, { itemNotFound: { code: 404, message: 'Instance is not a member of specified network' } }]);

  state.mine = mine;
});

runSerial('os-interface attach and detach through the openstack CLI', async (t) => {
  const { net2 } = state;
  const server = await ok(t, c, 'stratus-demo', ...BOOT, '--nic', `net-id=${net2.id}`, 'iface');
  const interfaces = async () =>
    ((await ok(t, c, 'stratus-demo', 'port', 'list', '--server', server.id, '-f', 'json')) as Array<{ ID: string }>).map((p) => p.ID);
  t.is((await interfaces()).length, 1);
  await ok(t, c, 'stratus-demo', 'server', 'add', 'network', 'iface', 'private');
  t.is((await interfaces()).length, 2);
  const extra = await ok(t, c, 'stratus-demo', 'port', 'create', '--network', 'net2', 'extra', '-f', 'json');
  await ok(t, c, 'stratus-demo', 'server', 'add', 'port', 'iface', extra.id);
  t.true((await interfaces()).includes(extra.id));
  const host = (await ok(t, c, 'stratus', 'server', 'show', server.id, '-f', 'json'))['OS-EXT-SRV-ATTR:host'];
  t.like(await adminPort(t, extra.id), { device_id: server.id, binding_host_id: host });
  const again = await run(c, 'stratus-demo', 'server', 'add', 'port', 'bare', extra.id);
  t.regex(again.stderr, new RegExp(`409.*Port ${extra.id} is still in use\\.`));
  // The user's port is released, a port made for the server removed.
  await ok(t, c, 'stratus-demo', 'server', 'remove', 'port', 'iface', extra.id);
  t.like(await adminPort(t, extra.id), { device_id: '', binding_host_id: '' });
  await ok(t, c, 'stratus-demo', 'server', 'remove', 'network', 'iface', 'private');
  t.is((await interfaces()).length, 1);
  const shown = await ok(t, c, 'stratus-demo', 'server', 'show', 'iface', '-f', 'json');
  t.deepEqual(Object.keys(shown.addresses), ['net2']);

  state.iface = server;
});

// Split from the step above so that neither runs into ava's timeout on a loaded machine.
runSerial('the security group actions and the network proxies below 2.36', async (t) => {
  const server = state.iface;
  await ok(t, c, 'stratus-demo', 'security', 'group', 'create', 'web', '-f', 'json');
  await ok(t, c, 'stratus-demo', 'server', 'add', 'security', 'group', 'iface', 'web');
  const grouped = await ok(t, c, 'stratus-demo', 'server', 'show', 'iface', '-f', 'json');
  t.deepEqual(grouped.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
  const sdk = await python(
    c.cloudsYaml,
    `
import json, sys, openstack
conn = openstack.connect(cloud='stratus-demo')
groups = conn.compute.get('/servers/%s/os-security-groups' % sys.argv[1]).json()
missing = conn.compute.post('/servers/%s/action' % sys.argv[1], json={'addSecurityGroup': {'name': 'nope'}})
proxy = conn.compute.get('/os-security-groups', microversion='2.35').json()
pools = conn.compute.get('/os-floating-ip-pools', microversion='2.35').json()
gone = conn.compute.get('/os-security-groups', microversion='2.36')
print(json.dumps({'groups': groups, 'missing': [missing.status_code, missing.json()], 'proxy': proxy, 'pools': pools, 'gone': gone.status_code}))
`,
    [server.id],
  );
  t.is(sdk.code, 0, sdk.stderr);
  const groups = sdk.json.groups.security_groups;
  t.deepEqual(groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
  const dflt = groups.find((g: { name: string }) => g.name === 'default');
  // Neutron's default group: ingress from its own members, IPv4 and IPv6, which Nova shows by the group's name.
  t.is(dflt.rules.length, 2);
  for (const r of dflt.rules) t.like(r, { ip_protocol: null, from_port: null, to_port: null, group: { name: 'default' }, ip_range: {} });
  t.deepEqual(groups.find((g: { name: string }) => g.name === 'web').rules, []);
  // The proxies below 2.36: the project's groups (as the server's, by name), the external networks as pools; 404 from 2.36.
  t.deepEqual(sdk.json.proxy.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
  t.deepEqual(sdk.json.pools, { floating_ip_pools: [{ name: 'public' }] });
  t.is(sdk.json.gone, 404);
  t.is(sdk.json.missing[0], 404);
  t.regex(sdk.json.missing[1].itemNotFound.message, /^Security group nope not found for project /);
  await ok(t, c, 'stratus-demo', 'server', 'remove', 'security', 'group', 'iface', 'web');
  const ungrouped = await ok(t, c, 'stratus-demo', 'server', 'show', 'iface', '-f', 'json');
  t.deepEqual(
    ungrouped.security_groups.map((g: { name: string }) => g.name),
    ['default'],
  );
  const notThere = await run(c, 'stratus-demo', 'server', 'remove', 'security', 'group', 'iface', 'web');
  // The CLI sends the group's id as its name; Nova's words name what was sent.
  t.regex(notThere.stderr, new RegExp(`Security group \\S+ not associated with the instance ${server.id} \\(HTTP 400\\)`));
});

runSerial('ports follow a resize; at delete the server’s own go and the user’s are released', async (t) => {
  const { plain, plainPort, host, mine } = state;
  // A resize moves the server to the other host: its port's binding follows.
  await ok(t, c, 'stratus-demo', 'server', 'resize', '--flavor', 'm1.small', '--wait', 'plain');
  await ok(t, c, 'stratus-demo', 'server', 'resize', 'confirm', 'plain');
  const moved = (await ok(t, c, 'stratus', 'server', 'show', plain.id, '-f', 'json'))['OS-EXT-SRV-ATTR:host'];
  t.not(moved, host);
  await until(
    'port follows the resize',
    () => adminPort(t, plainPort.ID),
    (p) => p.binding_host_id === moved,
  );

  // Delete: a port made for the server goes with it; the user's own stays, released.
  await ok(t, c, 'stratus-demo', 'server', 'delete', '--wait', 'plain', 'on-port');
  await until(
    'plain port removed',
    () => run(c, 'stratus', 'port', 'show', plainPort.ID),
    (r) => r.code !== 0,
  );
  const released = await until(
    'own port released',
    () => adminPort(t, mine.id),
    (p) => p.device_id === '',
  );
  t.like(released, { device_owner: '', binding_host_id: '', fixed_ips: [{ subnet_id: released.fixed_ips[0].subnet_id, ip_address: '10.1.0.77' }] });
});
