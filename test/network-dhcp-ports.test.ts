import test from 'ava';
import { neutronRefused, startNetworkServer } from './helpers/network.js';

// The network:dhcp port the Networking service keeps per network, as Neutron's DHCP agent does: one address on each
// subnet with enable_dhcp, following subnet creates, updates and deletes.

test('a network’s DHCP port holds one address per DHCP subnet and follows enable_dhcp, subnet and network deletes', async (t) => {
  const n = await startNetworkServer('net-dhcp-ports');
  try {
    const call = (method: string, path: string, body?: unknown, token = n.demo) => n.neutron.call(method, path, { token, body });
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'dhcp-net' } })).body.network;
    const dhcpPorts = async () => (await call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports;
    t.deepEqual(await dhcpPorts(), [], 'no subnet, no DHCP port');

    const off = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24', enable_dhcp: false } })).body
      .subnet;
    t.deepEqual(await dhcpPorts(), [], 'a subnet without DHCP makes no DHCP port');

    const a = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.1.0/24' } })).body.subnet;
    let [port] = await dhcpPorts();
    t.like(port, { network_id: net.id, project_id: net.project_id, device_owner: 'network:dhcp', admin_state_up: true });
    t.regex(port.device_id, new RegExp(`^dhcp[0-9a-f-]{36}-${net.id}$`));
    t.is(port.fixed_ips.length, 1);
    t.is(port.fixed_ips[0].subnet_id, a.id);
    // The lowest free address of the pool, as devstack's DHCP port usually has.
    t.is(port.fixed_ips[0].ip_address, '10.9.1.2');
    const availability = await call('GET', `/v2.0/network-ip-availabilities/${net.id}`, undefined, n.admin);
    t.is(availability.body.network_ip_availability.used_ips, 1);

    // A second DHCP subnet: the same port, one more address.
    const b = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.2.0/24' } })).body.subnet;
    const ports = await dhcpPorts();
    t.is(ports.length, 1);
    t.is(ports[0].id, port.id);
    t.deepEqual(ports[0].fixed_ips.map((f: { subnet_id: string }) => f.subnet_id).sort(), [a.id, b.id].sort());
    port = ports[0];

    // DHCP turned off on one subnet frees its address there; turned on again, one comes back.
    t.is((await call('PUT', `/v2.0/subnets/${b.id}`, { subnet: { enable_dhcp: false } })).status, 200);
    t.deepEqual(
      (await dhcpPorts())[0].fixed_ips.map((f: { subnet_id: string }) => f.subnet_id),
      [a.id],
    );
    t.is((await call('PUT', `/v2.0/subnets/${off.id}`, { subnet: { enable_dhcp: true } })).status, 200);
    t.deepEqual((await dhcpPorts())[0].fixed_ips.map((f: { subnet_id: string }) => f.subnet_id).sort(), [a.id, off.id].sort());

    // Deleting a subnet takes its DHCP address (the DHCP port does not hold it in use); the last DHCP subnet gone, the port goes.
    t.is((await call('DELETE', `/v2.0/subnets/${off.id}`)).status, 204);
    t.deepEqual(
      (await dhcpPorts())[0].fixed_ips.map((f: { subnet_id: string }) => f.subnet_id),
      [a.id],
    );
    t.is((await call('PUT', `/v2.0/subnets/${a.id}`, { subnet: { enable_dhcp: false } })).status, 200);
    t.deepEqual(await dhcpPorts(), []);
    t.is((await call('GET', `/v2.0/ports/${port.id}`)).status, 404);
    t.is((await call('PUT', `/v2.0/subnets/${a.id}`, { subnet: { enable_dhcp: true } })).status, 200);
    t.is((await dhcpPorts()).length, 1);

    // A user's port still keeps the subnet in use; the DHCP port alone does not keep the network.
    const user = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
    neutronRefused(
      t,
      await call('DELETE', `/v2.0/subnets/${a.id}`),
      409,
      'SubnetInUse',
      `Unable to complete operation on subnet ${a.id}: One or more ports have an IP allocation from this subnet.`,
    );
    t.is((await call('DELETE', `/v2.0/ports/${user.id}`)).status, 204);
    t.is((await call('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
    t.deepEqual((await call('GET', `/v2.0/ports?network_id=${net.id}`, undefined, n.admin)).body.ports, []);
  } finally {
    await n.done();
  }
});

test('a subnet whose one address the DHCP port takes has none left for a port, as in Neutron', async (t) => {
  const n = await startNetworkServer('net-dhcp-full');
  try {
    const call = (method: string, path: string, body?: unknown) => n.neutron.call(method, path, { token: n.demo, body });
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'tiny' } })).body.network;
    const subnet = (
      await call('POST', '/v2.0/subnets', {
        subnet: { network_id: net.id, ip_version: 4, cidr: '10.8.0.0/24', allocation_pools: [{ start: '10.8.0.5', end: '10.8.0.5' }] },
      })
    ).body.subnet;
    const [dhcp] = (await call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports;
    t.deepEqual(dhcp.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.8.0.5' }]);
    neutronRefused(
      t,
      await call('POST', '/v2.0/ports', { port: { network_id: net.id } }),
      409,
      'IpAddressGenerationFailure',
      `No more IP addresses available on network ${net.id}.`,
    );
    // A second subnet with DHCP on a full pool: created all the same, no DHCP address on it.
    const full = (
      await call('POST', '/v2.0/subnets', {
        subnet: { network_id: net.id, ip_version: 4, cidr: '10.8.1.0/24', allocation_pools: [{ start: '10.8.1.5', end: '10.8.1.5' }] },
      })
    ).body.subnet;
    t.truthy(full.id);
  } finally {
    await n.done();
  }
});
