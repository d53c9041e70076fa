import test from 'ava';
import { openstack } from './helpers/cloud-process.js';
import { startNetworkServer } from './helpers/network.js';

// Debian's python3-openstackclient (through openstacksdk) against the Networking API.

test('networks, subnets and ports with the openstack CLI', async (t) => {
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
    t.deepEqual((await ok('stratus-demo', 'port', 'list', '--network', 'renamed', '-f', 'json')).map((x: { Name: string }) => x.Name).sort(), [
      'p1',
      'p2',
    ]);
    t.deepEqual(
      (await ok('stratus-demo', 'port', 'list', '--fixed-ip', 'ip-address=10.0.0.55', '-f', 'json')).map((x: { Name: string }) => x.Name),
      ['p1'],
    );
    await ok('stratus-demo', 'port', 'set', '--name', 'p1b', '--no-fixed-ip', '--fixed-ip', 'ip-address=10.0.0.56', 'p1');
    t.deepEqual((await ok('stratus-demo', 'port', 'show', 'p1b', '-f', 'json')).fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.56' }]);
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
