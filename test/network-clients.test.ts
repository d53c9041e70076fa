import test from 'ava';
import { clientsPass } from './helpers/database.js';
import { openstack, python } from './helpers/cloud-process.js';
import { startNetworkServer } from './helpers/network.js';

const inThisPass = clientsPass('sqlite');
const run = inThisPass ? test : test.skip;

// Debian's python3-openstackclient (through openstacksdk) against the Networking API.

run('networks, subnets and ports with the openstack CLI', async (t) => {
  const n = await startNetworkServer('net-osc');
  const run = async (cloud: string, ...args: string[]) => {
    const r = await openstack(n.cloudsYaml, ['--os-cloud', cloud, ...args]);
    return { ...r, args };
  };
  const ok = async (cloud: string, ...args: string[]) => {
    const r = await run(cloud, ...args);
    t.is(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.json;
  };
  try {
    const net = await ok('stratus-demo', 'network', 'create', '--description', 'mine', 'private', '-f', 'json');
    t.like(net, { name: 'private', description: 'mine', status: 'ACTIVE', mtu: 1500 });
    const subnet = await ok(
      'stratus-demo',
      'subnet',
      'create',
      '--network',
      'private',
      '--subnet-range',
      '10.0.0.0/24',
      '--dns-nameserver',
      '8.8.8.8',
      'private-v4',
      '-f',
      'json',
    );
    t.like(subnet, { name: 'private-v4', cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', enable_dhcp: true });
    const v6 = await ok(
      'stratus-demo',
      'subnet',
      'create',
      '--network',
      'private',
      '--ip-version',
      '6',
      '--subnet-range',
      'fd00::/64',
      '--ipv6-ra-mode',
      'slaac',
      '--ipv6-address-mode',
      'slaac',
      'private-v6',
      '-f',
      'json',
    );
    t.like(v6, { cidr: 'fd00::/64', ip_version: 6 });
    const list = await ok('stratus-demo', 'network', 'list', '-f', 'json');
    t.deepEqual(
      list.map((x: { Name: string }) => x.Name),
      ['private'],
    );
    t.is(list[0].Subnets.length, 2);
    const shown = await ok('stratus-demo', 'network', 'show', 'private', '-f', 'json');
    t.is(shown.id, net.id);
    await ok('stratus-demo', 'network', 'set', '--name', 'renamed', '--mtu', '1400', 'private');
    t.like(await ok('stratus-demo', 'network', 'show', 'renamed', '-f', 'json'), { mtu: 1400 });
    t.deepEqual((await ok('stratus-demo', 'subnet', 'list', '--network', 'renamed', '-f', 'json')).map((x: { Name: string }) => x.Name).sort(), [
      'private-v4',
      'private-v6',
    ]);
    await ok('stratus-demo', 'subnet', 'set', '--allocation-pool', 'start=10.0.0.50,end=10.0.0.60', '--no-allocation-pool', 'private-v4');
    t.deepEqual((await ok('stratus-demo', 'subnet', 'show', 'private-v4', '-f', 'json')).allocation_pools, [
      { start: '10.0.0.50', end: '10.0.0.60' },
    ]);

    // Admin's shared and external networks; demo may not make one.
    await ok('stratus', 'network', 'create', '--external', 'public');
    await ok('stratus', 'network', 'create', '--share', 'shared');
    const refused = await run('stratus-demo', 'network', 'create', '--share', 'nope');
    t.not(refused.code, 0);
    t.regex(refused.stderr, /disallowed by policy/);
    t.deepEqual(
      (await ok('stratus-demo', 'network', 'list', '--external', '-f', 'json')).map((x: { Name: string }) => x.Name),
      ['public'],
    );
    t.deepEqual((await ok('stratus-demo', 'network', 'list', '-f', 'json')).map((x: { Name: string }) => x.Name).sort(), [
      'public',
      'renamed',
      'shared',
    ]);

    // Ports.
    const port = await ok(
      'stratus-demo',
      'port',
      'create',
      '--network',
      'renamed',
      '--fixed-ip',
      'subnet=private-v4,ip-address=10.0.0.55',
      'p1',
      '-f',
      'json',
    );
    t.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.55' }]);
    t.regex(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    const auto = await ok('stratus-demo', 'port', 'create', '--network', 'renamed', '--device-owner', 'compute:nova', 'p2', '-f', 'json');
    t.is(auto.fixed_ips.length, 2);
    // The network's DHCP port (no name) is listed with them, as Neutron lists its DHCP agent's.
    t.deepEqual((await ok('stratus-demo', 'port', 'list', '--network', 'renamed', '-f', 'json')).map((x: { Name: string }) => x.Name).sort(), [
      '',
      'p1',
      'p2',
    ]);
    t.deepEqual(
      (await ok('stratus-demo', 'port', 'list', '--fixed-ip', 'ip-address=10.0.0.55', '-f', 'json')).map((x: { Name: string }) => x.Name),
      ['p1'],
    );
    // p2's address is picked at random from the pool: p1 moves to one p2 does not hold.
    const taken = new Set(auto.fixed_ips.map((f: { ip_address: string }) => f.ip_address));
    const free = ['10.0.0.56', '10.0.0.57'].find((a) => !taken.has(a))!;
    await ok('stratus-demo', 'port', 'set', '--name', 'p1b', '--no-fixed-ip', '--fixed-ip', `ip-address=${free}`, 'p1');
    t.deepEqual((await ok('stratus-demo', 'port', 'show', 'p1b', '-f', 'json')).fixed_ips, [{ subnet_id: subnet.id, ip_address: free }]);
    const inUse = await run('stratus-demo', 'network', 'delete', 'renamed');
    t.not(inUse.code, 0);
    t.regex(inUse.stderr, /ports still in use/);
    await ok('stratus-demo', 'port', 'delete', 'p1b', 'p2');

    await ok('stratus-demo', 'subnet', 'delete', 'private-v6');
    await ok('stratus-demo', 'network', 'delete', 'renamed');
    t.deepEqual((await ok('stratus-demo', 'subnet', 'list', '-f', 'json')).length, 0);
  } finally {
    await n.done();
  }
});

run('security groups and rules with the openstack CLI, network quotas with openstacksdk', async (t) => {
  const n = await startNetworkServer('net-osc-sg');
  const run = async (cloud: string, ...args: string[]) => ({ ...(await openstack(n.cloudsYaml, ['--os-cloud', cloud, ...args])), args });
  const ok = async (cloud: string, ...args: string[]) => {
    const r = await run(cloud, ...args);
    t.is(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.json;
  };
  try {
    const groups = await ok('stratus-demo', 'security', 'group', 'list', '-f', 'json');
    t.deepEqual(
      groups.map((g: { Name: string }) => g.Name),
      ['default'],
    );
    const web = await ok('stratus-demo', 'security', 'group', 'create', '--description', 'web servers', 'web', '-f', 'json');
    t.is(web.name, 'web');
    const ssh = await ok(
      'stratus-demo',
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'tcp',
      '--dst-port',
      '22',
      '--remote-ip',
      '10.0.0.0/8',
      'web',
      '-f',
      'json',
    );
    t.like(ssh, { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8', direction: 'ingress' });
    await ok('stratus-demo', 'security', 'group', 'rule', 'create', '--protocol', 'icmp', '--ingress', 'web');
    const rules = await ok('stratus-demo', 'security', 'group', 'rule', 'list', 'web', '-f', 'json');
    t.is(rules.length, 4);
    const dup = await run(
      'stratus-demo',
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'tcp',
      '--dst-port',
      '22',
      '--remote-ip',
      '10.0.0.0/8',
      'web',
    );
    t.not(dup.code, 0);
    t.regex(dup.stderr, /Security group rule already exists/);
    await ok('stratus-demo', 'security', 'group', 'set', '--description', 'https too', 'web');
    t.is((await ok('stratus-demo', 'security', 'group', 'show', 'web', '-f', 'json')).description, 'https too');
    await ok('stratus-demo', 'security', 'group', 'rule', 'delete', ssh.id);
    await ok('stratus-demo', 'security', 'group', 'delete', 'web');

    const network = await ok('stratus', 'quota', 'list', '--network', '-f', 'json');
    t.true(Array.isArray(network));
    // Debian's client sets and shows quotas through Nova too (not served here): openstacksdk does the network's alone.
    const sdk = await python(
      n.cloudsYaml,
      `import json, openstack
admin = openstack.connect(cloud='stratus')
conn = openstack.connect(cloud='stratus-demo')
admin.network.update_quota(conn.current_project_id, networks=7, ports=70)
q = conn.network.get_quota(conn.current_project_id)
d = conn.network.get_quota(conn.current_project_id, details=True)
print(json.dumps({'networks': q.networks, 'ports': q.ports, 'security_groups': q.security_groups, 'used_networks': d.networks['used']}))`,
    );
    t.is(sdk.code, 0, sdk.stderr);
    t.deepEqual(sdk.json, { networks: 7, ports: 70, security_groups: 10, used_networks: 0 });
  } finally {
    await n.done();
  }
});
