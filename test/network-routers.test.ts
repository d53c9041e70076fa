import test from 'ava';
import { openstack } from './helpers/cloud-process.js';
import { bootstrapNetworks } from '../http/network/index.js';
import { SystemClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/logger.js';
import { neutronRefused, startNetworkServer } from './helpers/network.js';

// Routers and floating IPs: the API and their rows (no data plane yet), over HTTP and the openstack CLI.

test('routers with a gateway and interfaces; floating IPs allocated, associated, moved, released; refusals', async (t) => {
  const n = await startNetworkServer('net-routers');
  try {
    const call = (method: string, path: string, token: string, body?: unknown) => n.neutron.call(method, path, { token, body });
    const pub = (await call('POST', '/v2.0/networks', n.admin, { network: { name: 'public', 'router:external': true } })).body.network;
    const pubSubnet = (
      await call('POST', '/v2.0/subnets', n.admin, { subnet: { network_id: pub.id, ip_version: 4, cidr: '172.24.4.0/24', enable_dhcp: false } })
    ).body.subnet;
    const net = (await call('POST', '/v2.0/networks', n.demo, { network: { name: 'private' } })).body.network;
    const subnet = (await call('POST', '/v2.0/subnets', n.demo, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' } })).body.subnet;

    const created = await call('POST', '/v2.0/routers', n.demo, { router: { name: 'r1', external_gateway_info: { network_id: pub.id } } });
    t.is(created.status, 201, JSON.stringify(created.body));
    const router = created.body.router;
    t.like(router, { name: 'r1', status: 'ACTIVE', admin_state_up: true });
    t.is(router.external_gateway_info.network_id, pub.id);
    t.true(router.external_gateway_info.enable_snat);
    t.is(router.external_gateway_info.external_fixed_ips[0].subnet_id, pubSubnet.id);
    neutronRefused(
      t,
      await call('POST', '/v2.0/routers', n.demo, { router: { external_gateway_info: { network_id: pub.id, enable_snat: false } } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_router and rule:create_router:external_gateway_info:enable_snat) is disallowed by policy',
    );
    neutronRefused(
      t,
      await call('POST', '/v2.0/routers', n.demo, { router: { external_gateway_info: { network_id: net.id } } }),
      400,
      'BadRequest',
      `Bad router request: Network ${net.id} is not an external network.`,
    );

    const added = await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, n.demo, { subnet_id: subnet.id });
    t.is(added.status, 200, JSON.stringify(added.body));
    t.like(added.body, { id: router.id, subnet_id: subnet.id, network_id: net.id, subnet_ids: [subnet.id] });
    const iface = (await call('GET', `/v2.0/ports/${added.body.port_id}`, n.demo)).body.port;
    t.like(iface, { device_owner: 'network:router_interface', device_id: router.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.1' }] });
    neutronRefused(
      t,
      await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, n.demo, { subnet_id: subnet.id }),
      400,
      'BadRequest',
      `Bad router request: Router already has a port on subnet ${subnet.id}.`,
    );
    neutronRefused(
      t,
      await call('DELETE', `/v2.0/ports/${iface.id}`, n.demo),
      409,
      'ServicePortInUse',
      `Port ${iface.id} cannot be deleted directly via the port API: has device owner network:router_interface.`,
    );

    // A server's port gets a floating IP; the address comes from the external network.
    const vm = (await call('POST', '/v2.0/ports', n.demo, { port: { network_id: net.id, device_owner: 'compute:nova' } })).body.port;
    const fip = await call('POST', '/v2.0/floatingips', n.demo, { floatingip: { floating_network_id: pub.id, port_id: vm.id } });
    t.is(fip.status, 201, JSON.stringify(fip.body));
    t.like(fip.body.floatingip, {
      floating_network_id: pub.id,
      port_id: vm.id,
      fixed_ip_address: vm.fixed_ips[0].ip_address,
      router_id: router.id,
      status: 'ACTIVE',
    });
    t.regex(fip.body.floatingip.floating_ip_address, /^172\.24\.4\.\d+$/);
    neutronRefused(
      t,
      await call('POST', '/v2.0/floatingips', n.demo, { floatingip: { floating_network_id: pub.id, port_id: vm.id } }),
      409,
      'FloatingIPPortAlreadyAssociated',
      /^Cannot associate floating IP .* with port .* using fixed IP .*, as that fixed IP already has a floating IP on external network/,
    );
    neutronRefused(
      t,
      await call('POST', '/v2.0/floatingips', n.demo, { floatingip: { floating_network_id: net.id } }),
      400,
      'BadRequest',
      `Bad floatingip request: Network ${net.id} is not a valid external network.`,
    );
    neutronRefused(
      t,
      await call('POST', '/v2.0/floatingips', n.demo, { floatingip: { floating_network_id: pub.id, floating_ip_address: '172.24.4.99' } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_floatingip and rule:create_floatingip:floating_ip_address) is disallowed by policy',
    );
    // A port on a network no router joins to the external one cannot take a floating IP.
    const lonely = (await call('POST', '/v2.0/networks', n.demo, { network: { name: 'lonely' } })).body.network;
    const lonelySubnet = (await call('POST', '/v2.0/subnets', n.demo, { subnet: { network_id: lonely.id, ip_version: 4, cidr: '10.9.0.0/24' } })).body
      .subnet;
    const lonelyPort = (await call('POST', '/v2.0/ports', n.demo, { port: { network_id: lonely.id } })).body.port;
    neutronRefused(
      t,
      await call('POST', '/v2.0/floatingips', n.demo, { floatingip: { floating_network_id: pub.id, port_id: lonelyPort.id } }),
      404,
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${pub.id} is not reachable from subnet ${lonelySubnet.id}.  Therefore, cannot associate Port ${lonelyPort.id} with a Floating IP.`,
    );

    // Disassociate, then the router may lose its interface; releasing frees the address.
    neutronRefused(
      t,
      await call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, n.demo, { subnet_id: subnet.id }),
      409,
      'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${subnet.id} on router ${router.id} cannot be deleted, as it is required by one or more floating IPs.`,
    );
    const freed = await call('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, n.demo, { floatingip: { port_id: null } });
    t.like(freed.body.floatingip, { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
    neutronRefused(t, await call('DELETE', `/v2.0/routers/${router.id}`, n.demo), 409, 'RouterInUse', `Router ${router.id} still has ports`);
    t.is((await call('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, n.demo, { subnet_id: subnet.id })).status, 200);
    t.is((await call('GET', `/v2.0/ports/${iface.id}`, n.demo)).status, 404);

    // Another project sees neither; a reader may not write.
    const other = await n.user('erin', 'member', 'other');
    t.deepEqual((await call('GET', '/v2.0/routers', other.token)).body.routers, []);
    t.deepEqual((await call('GET', '/v2.0/floatingips', other.token)).body.floatingips, []);
    neutronRefused(t, await call('GET', `/v2.0/routers/${router.id}`, other.token), 404, 'RouterNotFound', `Router ${router.id} could not be found`);
    neutronRefused(
      t,
      await call('GET', `/v2.0/floatingips/${fip.body.floatingip.id}`, other.token),
      404,
      'FloatingIPNotFound',
      `Floating IP ${fip.body.floatingip.id} could not be found`,
    );
    const reader = await n.user('rex', 'reader', 'demo');
    neutronRefused(
      t,
      await call('POST', '/v2.0/routers', reader.token, { router: { name: 'x' } }),
      403,
      'PolicyNotAuthorized',
      'rule:create_router is disallowed by policy',
    );
    neutronRefused(
      t,
      await call('DELETE', `/v2.0/floatingips/${fip.body.floatingip.id}`, reader.token),
      403,
      'PolicyNotAuthorized',
      'rule:delete_floatingip is disallowed by policy',
    );

    t.is((await call('DELETE', `/v2.0/floatingips/${fip.body.floatingip.id}`, n.demo)).status, 204);
    const cleared = await call('PUT', `/v2.0/routers/${router.id}`, n.demo, { router: { external_gateway_info: {}, name: 'r1b' } });
    t.like(cleared.body.router, { name: 'r1b', external_gateway_info: null });
    t.is((await call('DELETE', `/v2.0/routers/${router.id}`, n.demo)).status, 204);
    // Only the external subnet's own ports are left on the public network: none.
    t.deepEqual((await call('GET', `/v2.0/ports?network_id=${pub.id}`, n.admin)).body.ports, []);
  } finally {
    await n.done();
  }
});

test('routers and floating IPs with the openstack CLI', async (t) => {
  const n = await startNetworkServer('net-routers-osc');
  const ok = async (cloud: string, ...args: string[]) => {
    const r = await openstack(n.cloudsYaml, ['--os-cloud', cloud, ...args]);
    t.is(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.json;
  };
  try {
    await ok('stratus', 'network', 'create', '--external', 'public');
    await ok('stratus', 'subnet', 'create', '--network', 'public', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'public-subnet');
    await ok('stratus-demo', 'network', 'create', 'private');
    await ok('stratus-demo', 'subnet', 'create', '--network', 'private', '--subnet-range', '10.0.0.0/24', 'private-subnet');
    await ok('stratus-demo', 'router', 'create', 'r1');
    await ok('stratus-demo', 'router', 'set', '--external-gateway', 'public', 'r1');
    await ok('stratus-demo', 'router', 'add', 'subnet', 'r1', 'private-subnet');
    const shown = await ok('stratus-demo', 'router', 'show', 'r1', '-f', 'json');
    t.is(shown.external_gateway_info.network_id, (await ok('stratus-demo', 'network', 'show', 'public', '-f', 'json')).id);
    t.deepEqual(
      (await ok('stratus-demo', 'router', 'list', '-f', 'json')).map((r: { Name: string }) => r.Name),
      ['r1'],
    );
    const port = await ok('stratus-demo', 'port', 'create', '--network', 'private', 'vm-port', '-f', 'json');
    const fip = await ok('stratus-demo', 'floating', 'ip', 'create', 'public', '-f', 'json');
    t.regex(fip.floating_ip_address, /^172\.24\.4\.\d+$/);
    await ok('stratus-demo', 'floating', 'ip', 'set', '--port', 'vm-port', fip.id);
    const set = await ok('stratus-demo', 'floating', 'ip', 'show', fip.id, '-f', 'json');
    t.is(set.port_id, port.id);
    t.is(set.fixed_ip_address, port.fixed_ips[0].ip_address);
    t.is((await ok('stratus-demo', 'floating', 'ip', 'list', '-f', 'json')).length, 1);
    await ok('stratus-demo', 'floating', 'ip', 'unset', '--port', fip.id);
    t.is((await ok('stratus-demo', 'floating', 'ip', 'show', fip.id, '-f', 'json')).port_id, null);
    await ok('stratus-demo', 'floating', 'ip', 'delete', fip.id);
    await ok('stratus-demo', 'router', 'remove', 'subnet', 'r1', 'private-subnet');
    await ok('stratus-demo', 'router', 'unset', '--external-gateway', 'r1');
    await ok('stratus-demo', 'router', 'delete', 'r1');
  } finally {
    await n.done();
  }
});

test('the first start makes devstack’s public network and the demo project’s private network and router, once', async (t) => {
  const n = await startNetworkServer('net-bootstrap');
  try {
    const services = { models: n.identity.db.models, tokens: n.identity.identity.services.tokens, clock: new SystemClock(), publicUrl: () => n.url };
    const projects = { admin: await n.projectId('admin'), demo: await n.projectId('demo') };
    const options = { publicCidr: '172.24.4.0/24', privateCidr: '10.0.0.0/26' };
    const made = await Promise.all([0, 1, 2].map(() => bootstrapNetworks(services, projects, options, silentLogger())));
    t.deepEqual(made.filter(Boolean).length, 1, 'made once, however many nodes start at once');
    t.false(await bootstrapNetworks(services, projects, options, silentLogger()));
    const seen = (await n.neutron.call('GET', '/v2.0/networks?sort_key=name&sort_dir=asc', { token: n.demo })).body.networks;
    t.deepEqual(
      seen.map((x: { name: string; 'router:external': boolean }) => [x.name, x['router:external']]),
      [
        ['private', false],
        ['public', true],
      ],
    );
    const subnet = (await n.neutron.call('GET', '/v2.0/subnets?name=private-subnet', { token: n.demo })).body.subnets[0];
    t.like(subnet, { cidr: '10.0.0.0/26', gateway_ip: '10.0.0.1', allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.62' }] });
    // As devstack's: DHCP on private (its DHCP port holds an address of the subnet), none on public.
    const dhcp = (await n.neutron.call('GET', '/v2.0/ports?device_owner=network:dhcp', { token: n.admin })).body.ports;
    t.deepEqual(
      dhcp.map((p: { network_id: string; fixed_ips: Array<{ subnet_id: string }> }) => [p.network_id, p.fixed_ips.map((f) => f.subnet_id)]),
      [[seen[0].id, [subnet.id]]],
    );
    const router = (await n.neutron.call('GET', '/v2.0/routers', { token: n.demo })).body.routers[0];
    t.like(router, { name: 'router1', external_gateway_info: { network_id: seen[1].id, enable_snat: true } });
    // A port on private takes a floating IP from public through router1.
    const port = (await n.neutron.call('POST', '/v2.0/ports', { token: n.demo, body: { port: { network_id: seen[0].id } } })).body.port;
    const fip = await n.neutron.call('POST', '/v2.0/floatingips', {
      token: n.demo,
      body: { floatingip: { floating_network_id: seen[1].id, port_id: port.id } },
    });
    t.is(fip.status, 201, JSON.stringify(fip.body));
    t.like(fip.body.floatingip, { router_id: router.id, status: 'ACTIVE' });
  } finally {
    await n.done();
  }
});
