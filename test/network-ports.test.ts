import test from 'ava';
import { neutronRefused, startNetworkServer } from './helpers/network.js';

// Ports and their addresses: chosen or given fixed IPs, MACs, concurrency, policy.

const MAC = /^fa:16:3e(:[0-9a-f]{2}){3}$/;

test('50 concurrent ports on a subnet with 61 addresses, one the DHCP port’s: distinct addresses and MACs; then 10 more, then IpAddressGenerationFailure', async (t) => {
  const n = await startNetworkServer('net-ports-race');
  try {
    const net = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'small' } } })).body.network;
    const subnet = (
      await n.neutron.call('POST', '/v2.0/subnets', { token: n.demo, body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/26' } } })
    ).body.subnet;
    t.deepEqual(subnet.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.62' }]);
    // As Neutron's DHCP agent does, the service holds one address of the subnet for the network's DHCP server.
    const dhcp = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`, { token: n.demo })).body.ports;
    t.is(dhcp.length, 1);
    t.is(dhcp[0].fixed_ips.length, 1);
    const create = () => n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id } } });
    const first = await Promise.all(Array.from({ length: 50 }, create));
    t.true(
      first.every((r) => r.status === 201),
      JSON.stringify(first.find((r) => r.status !== 201)?.body),
    );
    const more = await Promise.all(Array.from({ length: 15 }, create));
    t.is(more.filter((r) => r.status === 201).length, 10);
    for (const r of more.filter((x) => x.status !== 201))
      neutronRefused(t, r, 409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${net.id}.`);
    const ports = [...first, ...more].filter((r) => r.status === 201).map((r) => r.body.port);
    const addresses = ports.map((p) => p.fixed_ips[0].ip_address as string);
    t.is(new Set([...addresses, dhcp[0].fixed_ips[0].ip_address]).size, 61);
    t.true(addresses.every((a) => /^10\.0\.0\.(\d+)$/.test(a) && Number(a.split('.')[3]) >= 2 && Number(a.split('.')[3]) <= 62));
    t.is(new Set([...ports.map((p) => p.mac_address), dhcp[0].mac_address]).size, 61);
    t.true(ports.every((p) => MAC.test(p.mac_address)));
    const listed = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&fields=id`, { token: n.demo })).body.ports;
    t.is(listed.length, 61);
    const availability = await n.neutron.call('GET', `/v2.0/network-ip-availabilities/${net.id}`, { token: n.admin });
    t.like(availability.body.network_ip_availability, { network_id: net.id, network_name: 'small', total_ips: 61, used_ips: 61 });
    t.like(availability.body.network_ip_availability.subnet_ip_availability[0], {
      subnet_id: subnet.id,
      cidr: '10.0.0.0/26',
      ip_version: 4,
      total_ips: 61,
      used_ips: 61,
    });
    t.deepEqual((await n.neutron.call('GET', '/v2.0/network-ip-availabilities?ip_version=6', { token: n.admin })).body.network_ip_availabilities, []);
    neutronRefused(
      t,
      await n.neutron.call('GET', '/v2.0/network-ip-availabilities', { token: n.demo }),
      403,
      'PolicyNotAuthorized',
      'rule:get_network_ip_availability is disallowed by policy',
    );
    // A freed address is handed out again.
    t.is((await n.neutron.call('DELETE', `/v2.0/ports/${ports[0].id}`, { token: n.demo })).status, 204);
    t.deepEqual((await create()).body.port.fixed_ips, [{ subnet_id: subnet.id, ip_address: addresses[0] }]);
  } finally {
    await n.done();
  }
});

test('ports: asked-for addresses and MACs, IPv6, updates of fixed_ips, filters, device fields, port security, policy', async (t) => {
  const n = await startNetworkServer('net-ports');
  try {
    const net = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'private' } } })).body.network;
    const v4 = (
      await n.neutron.call('POST', '/v2.0/subnets', { token: n.demo, body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' } } })
    ).body.subnet;
    const v6 = (
      await n.neutron.call('POST', '/v2.0/subnets', {
        token: n.demo,
        body: { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } },
      })
    ).body.subnet;
    const port = (
      await n.neutron.call('POST', '/v2.0/ports', {
        token: n.demo,
        body: { port: { network_id: net.id, name: 'vm', mac_address: 'fa:16:3e:00:00:01', device_id: 'server-1', device_owner: 'compute:nova' } },
      })
    ).body.port;
    t.like(port, {
      name: 'vm',
      status: 'DOWN',
      admin_state_up: true,
      device_id: 'server-1',
      device_owner: 'compute:nova',
      port_security_enabled: true,
      mac_address: 'fa:16:3e:00:00:01',
    });
    t.is(port.fixed_ips.length, 2);
    t.is(port.fixed_ips[0].subnet_id, v4.id);
    // SLAAC: the address is the prefix and the MAC's EUI-64.
    t.deepEqual(port.fixed_ips[1], { subnet_id: v6.id, ip_address: 'fd00::f816:3eff:fe00:1' });
    t.is(port['binding:host_id'], undefined, 'binding details are for admins');
    t.is((await n.neutron.call('GET', `/v2.0/ports/${port.id}`, { token: n.admin })).body.port['binding:vif_type'], 'unbound');

    const given = await n.neutron.call('POST', '/v2.0/ports', {
      token: n.demo,
      body: { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.50' }] } },
    });
    t.deepEqual(given.body.port.fixed_ips, [{ subnet_id: v4.id, ip_address: '10.0.0.50' }]);
    const bySubnet = await n.neutron.call('POST', '/v2.0/ports', {
      token: n.demo,
      body: { port: { network_id: net.id, fixed_ips: [{ subnet_id: v4.id }] } },
    });
    t.is(bySubnet.body.port.fixed_ips.length, 1);
    const none = await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id, fixed_ips: [] } } });
    t.deepEqual(none.body.port.fixed_ips, []);

    const create = (port: Record<string, unknown>) =>
      n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net.id, ...port } } });
    neutronRefused(
      t,
      await create({ fixed_ips: [{ ip_address: '10.0.0.50' }] }),
      409,
      'IpAddressInUse',
      `Unable to complete operation for network ${net.id}. The IP address 10.0.0.50 is in use.`,
    );
    neutronRefused(
      t,
      await create({ fixed_ips: [{ ip_address: '10.0.0.1' }] }),
      409,
      'IpAddressInUse',
      `Unable to complete operation for network ${net.id}. The IP address 10.0.0.1 is in use.`,
    );
    neutronRefused(
      t,
      await create({ fixed_ips: [{ ip_address: '192.168.1.5' }] }),
      400,
      'InvalidIpForNetwork',
      'IP address 192.168.1.5 is not a valid IP for any of the subnets on the specified network.',
    );
    neutronRefused(
      t,
      await create({ fixed_ips: [{ subnet_id: v4.id, ip_address: '10.0.0.255' }] }),
      400,
      'InvalidIpForSubnet',
      'IP address 10.0.0.255 is not a valid IP for the specified subnet.',
    );
    neutronRefused(
      t,
      await create({ mac_address: 'fa:16:3e:00:00:01' }),
      409,
      'MacAddressInUse',
      `Unable to complete operation for network ${net.id}. The mac address fa:16:3e:00:00:01 is in use.`,
    );
    neutronRefused(
      t,
      await create({ mac_address: 'zz' }),
      400,
      'HTTPBadRequest',
      "Invalid input for mac_address. Reason: 'zz' is not a valid MAC address.",
    );
    neutronRefused(
      t,
      await create({ fixed_ips: [{ ip_address: 'ten' }] }),
      400,
      'HTTPBadRequest',
      "Invalid input for fixed_ips. Reason: 'ten' is not a valid IP address.",
    );
    neutronRefused(
      t,
      await create({ port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.0.0.9' }] }),
      409,
      'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.',
    );
    neutronRefused(
      t,
      await create({ 'binding:host_id': 'compute-1' }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy',
    );
    const missing = '00000000-0000-4000-8000-000000000000';
    neutronRefused(t, await create({ network_id: missing }), 404, 'NetworkNotFound', `Network ${missing} could not be found.`);

    // A MAC is unique per network only: another network may reuse it.
    const net2 = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'second' } } })).body.network;
    t.is(
      (await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: net2.id, mac_address: 'fa:16:3e:00:00:01' } } }))
        .status,
      201,
    );

    const pairs = await create({ allowed_address_pairs: [{ ip_address: '10.0.0.0/28' }] });
    t.deepEqual(pairs.body.port.allowed_address_pairs, [{ ip_address: '10.0.0.0/28', mac_address: pairs.body.port.mac_address }]);

    // Updates: fixed_ips replaced (the kept address stays, the dropped one is free again), device fields, name.
    const moved = await n.neutron.call('PUT', `/v2.0/ports/${given.body.port.id}`, {
      token: n.demo,
      body: { port: { fixed_ips: [{ ip_address: '10.0.0.60' }, { subnet_id: v6.id }], name: 'moved', device_id: 'server-2' } },
    });
    t.is(moved.status, 200, JSON.stringify(moved.body));
    t.like(moved.body.port, { name: 'moved', device_id: 'server-2', revision_number: 2 });
    t.deepEqual(moved.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address).slice(0, 1), ['10.0.0.60']);
    t.is((await create({ fixed_ips: [{ ip_address: '10.0.0.50' }] })).status, 201, 'the dropped address is free again');

    // Filters.
    const byIp = await n.neutron.call('GET', '/v2.0/ports?fixed_ips=ip_address%3D10.0.0.60', { token: n.demo });
    t.deepEqual(
      byIp.body.ports.map((p: { id: string }) => p.id),
      [given.body.port.id],
    );
    t.deepEqual((await n.neutron.call('GET', '/v2.0/ports?device_id=server-1&fields=id', { token: n.demo })).body.ports, [{ id: port.id }]);
    t.is((await n.neutron.call('GET', `/v2.0/ports?mac_address=fa:16:3e:00:00:01&network_id=${net.id}`, { token: n.demo })).body.ports.length, 1);

    // Another project sees none of them; a reader sees but may not write; a shared network takes others' ports.
    const other = await n.user('carol', 'member', 'other');
    t.deepEqual((await n.neutron.call('GET', '/v2.0/ports', { token: other.token })).body.ports, []);
    neutronRefused(
      t,
      await n.neutron.call('GET', `/v2.0/ports/${port.id}`, { token: other.token }),
      404,
      'PortNotFound',
      `Port ${port.id} could not be found.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/ports/${port.id}`, { token: other.token }),
      404,
      'PortNotFound',
      `Port ${port.id} could not be found.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/ports', { token: other.token, body: { port: { network_id: net.id } } }),
      404,
      'NetworkNotFound',
      `Network ${net.id} could not be found.`,
    );
    const reader = await n.user('reid', 'reader', 'demo');
    t.is((await n.neutron.call('GET', `/v2.0/ports/${port.id}`, { token: reader.token })).status, 200);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/ports', { token: reader.token, body: { port: { network_id: net.id } } }),
      403,
      'PolicyNotAuthorized',
      'rule:create_port is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('PUT', `/v2.0/ports/${port.id}`, { token: reader.token, body: { port: { name: 'x' } } }),
      403,
      'PolicyNotAuthorized',
      'rule:update_port is disallowed by policy',
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/ports/${port.id}`, { token: reader.token }),
      403,
      'PolicyNotAuthorized',
      'rule:delete_port is disallowed by policy',
    );
    const shared = (await n.neutron.call('POST', '/v2.0/networks', { token: n.admin, body: { network: { name: 'shared', shared: true } } })).body
      .network;
    await n.neutron.call('POST', '/v2.0/subnets', {
      token: n.admin,
      body: { subnet: { network_id: shared.id, ip_version: 4, cidr: '172.16.0.0/24' } },
    });
    const theirs = await n.neutron.call('POST', '/v2.0/ports', { token: other.token, body: { port: { network_id: shared.id } } });
    t.is(theirs.status, 201);
    neutronRefused(
      t,
      await n.neutron.call('POST', '/v2.0/ports', {
        token: other.token,
        body: { port: { network_id: shared.id, fixed_ips: [{ ip_address: '172.16.0.9' }] } },
      }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_port and rule:create_port:fixed_ips:ip_address) is disallowed by policy',
    );
    t.deepEqual((await n.neutron.call('GET', '/v2.0/ports?fields=id', { token: other.token })).body.ports, [{ id: theirs.body.port.id }]);

    // Admin binds a port to a host.
    const bound = await n.neutron.call('PUT', `/v2.0/ports/${port.id}`, { token: n.admin, body: { port: { 'binding:host_id': 'compute-1' } } });
    t.like(bound.body.port, { 'binding:host_id': 'compute-1', 'binding:vif_type': 'other' });

    // A network or subnet with ports on it stays.
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/networks/${net.id}`, { token: n.demo }),
      409,
      'NetworkInUse',
      `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network.`,
    );
    neutronRefused(
      t,
      await n.neutron.call('DELETE', `/v2.0/subnets/${v4.id}`, { token: n.demo }),
      409,
      'SubnetInUse',
      `Unable to complete operation on subnet ${v4.id}: One or more ports have an IP allocation from this subnet.`,
    );
  } finally {
    await n.done();
  }
});

test('a full port list (written by the database on SQLite) shows each port as the port itself and a `fields` list show it', async (t) => {
  const n = await startNetworkServer('net-ports-list');
  const whole0 = (r: { body: { ports: Array<{ fixed_ips: unknown[] }> } }) => r.body.ports[0];
  try {
    const net = (await n.neutron.call('POST', '/v2.0/networks', { token: n.demo, body: { network: { name: 'listed' } } })).body.network;
    const v4 = (
      await n.neutron.call('POST', '/v2.0/subnets', { token: n.demo, body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24' } } })
    ).body.subnet;
    await n.neutron.call('POST', '/v2.0/subnets', {
      token: n.demo,
      body: { subnet: { network_id: net.id, ip_version: 6, cidr: 'fd00:9::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } },
    });
    const bodies = [
      { network_id: net.id, name: 'quote " back \\ and ünïcode ✓', description: 'line\nbreak' },
      {
        network_id: net.id,
        fixed_ips: [
          { subnet_id: v4.id, ip_address: '10.9.0.200' },
          { subnet_id: v4.id, ip_address: '10.9.0.30' },
        ],
        allowed_address_pairs: [{ ip_address: '10.9.0.99' }],
        admin_state_up: false,
      },
      { network_id: net.id, port_security_enabled: false, device_id: 'dev', device_owner: 'compute:nova' },
    ];
    for (const port of bodies) t.is((await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port } })).status, 201);
    await n.neutron.call('PUT', `/v2.0/ports/${(await n.neutron.call('GET', '/v2.0/ports?device_id=dev', { token: n.demo })).body.ports[0].id}`, {
      token: n.admin,
      body: { port: { 'binding:host_id': 'node-1' } },
    });
    for (const token of [n.admin, n.demo]) {
      const whole = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&sort_key=name&sort_dir=desc`, { token })).body.ports;
      t.is(whole.length, 4, 'the three made here and the network’s DHCP port');
      const fields = Object.keys(whole[0]).map((f) => `fields=${encodeURIComponent(f)}`);
      t.true(fields.length >= 20);
      const picked = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&sort_key=name&sort_dir=desc&${fields.join('&')}`, { token })).body
        .ports;
      t.deepEqual(whole, picked);
      for (const p of whole) t.deepEqual(p, (await n.neutron.call('GET', `/v2.0/ports/${p.id}`, { token })).body.port);
    }
    const admin = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&device_id=dev`, { token: n.admin })).body.ports[0];
    t.like(admin, { 'binding:host_id': 'node-1', 'binding:vif_type': 'other', port_security_enabled: false, security_groups: [] });
    const two = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&fixed_ips=ip_address%3D10.9.0.30`, { token: n.demo })).body.ports[0];
    // In address order, not the order asked.
    t.deepEqual(two.fixed_ips, [
      { subnet_id: v4.id, ip_address: '10.9.0.30' },
      { subnet_id: v4.id, ip_address: '10.9.0.200' },
    ]);
    t.is(
      whole0(await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&name=${encodeURIComponent(bodies[0].name!)}`, { token: n.demo })).fixed_ips
        .length,
      2,
    );
    t.false(two.admin_state_up);
    // Paged: the links name the last port of a full page.
    const page = (await n.neutron.call('GET', `/v2.0/ports?network_id=${net.id}&limit=2`, { token: n.demo })).body;
    t.is(page.ports.length, 2);
    t.true(page.ports_links.some((l: { rel: string; href: string }) => l.rel === 'next' && l.href.includes(`marker=${page.ports[1].id}`)));
  } finally {
    await n.done();
  }
});
