import test from 'ava';
import { startNetworkServer } from './helpers/network.js';

// `auto-allocated-topology` (what Nova's `networks: auto` asks for) and the `is_default` external network flag.

test('auto-allocated topology: dry-run, made once per project from the default pool, shown again, deleted; refusals', async (t) => {
  const n = await startNetworkServer('net-auto');
  try {
    const as = (token: string) => (method: string, path: string, body?: unknown) => n.neutron.call(method, path, { token, body });
    const admin = as(n.admin);
    const demo = as(n.demo);
    const noDefault = await demo('GET', '/v2.0/auto-allocated-topology/None?fields=dry-run');
    t.is(noDefault.status, 409);
    t.deepEqual(noDefault.body.NeutronError, {
      type: 'AutoAllocationFailure',
      message: 'Deployment error: No default router:external network.',
      detail: '',
    });
    const refused = await demo('POST', '/v2.0/networks', { network: { name: 'mine', is_default: true } });
    t.is(refused.status, 403);
    t.is(refused.body.NeutronError.type, 'PolicyNotAuthorized');
    const ext = await admin('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true, is_default: true } });
    t.is(ext.status, 201);
    t.true(ext.body.network.is_default);
    t.is((await admin('POST', '/v2.0/subnets', { subnet: { network_id: ext.body.network.id, cidr: '172.24.4.0/24', ip_version: 4 } })).status, 201);
    const second = await admin('POST', '/v2.0/networks', { network: { name: 'ext2', 'router:external': true, is_default: true } });
    t.is(second.status, 409);
    t.is(second.body.NeutronError.message, `A default external network already exists: ${ext.body.network.id}.`);

    const demoProject = await n.projectId('demo');
    t.deepEqual((await demo('GET', '/v2.0/auto-allocated-topology/None?fields=dry-run')).body, {
      auto_allocated_topology: { id: 'dry-run=pass', tenant_id: demoProject, project_id: demoProject },
    });
    const unknown = await demo('GET', '/v2.0/auto-allocated-topology/None?fields=name');
    t.is(unknown.status, 400);
    t.is(unknown.body.NeutronError.message, 'Bad auto_allocate request: Unrecognized field.');
    const adminProject = await n.projectId('admin');
    const other = await demo('GET', `/v2.0/auto-allocated-topology/${adminProject}`);
    t.is(other.status, 403);
    t.is(other.body.NeutronError.type, 'NotAuthorized');

    const made = await demo('GET', `/v2.0/auto-allocated-topology/${demoProject}`);
    t.is(made.status, 200, JSON.stringify(made.body));
    const networkId = made.body.auto_allocated_topology.id as string;
    t.deepEqual(made.body, { auto_allocated_topology: { id: networkId, tenant_id: demoProject, project_id: demoProject } });
    t.is((await demo('GET', '/v2.0/auto-allocated-topology/None')).body.auto_allocated_topology.id, networkId, 'made once');
    const network = (await demo('GET', `/v2.0/networks/${networkId}`)).body.network;
    t.like(network, { name: 'auto_allocated_network', admin_state_up: true, project_id: demoProject });
    const subnets = (await demo('GET', `/v2.0/subnets?network_id=${networkId}`)).body.subnets;
    t.deepEqual(
      subnets.map((x: { name: string; cidr: string; gateway_ip: string }) => [x.name, x.cidr, x.gateway_ip]),
      [['auto_allocated_subnet_v4', '10.128.0.0/26', '10.128.0.1']],
    );
    const routers = (await demo('GET', '/v2.0/routers?name=auto_allocated_router')).body.routers;
    t.is(routers.length, 1);
    t.is(routers[0].external_gateway_info.network_id, ext.body.network.id);
    const iface = (await demo('GET', `/v2.0/ports?device_id=${routers[0].id}&device_owner=network:router_interface`)).body.ports;
    t.deepEqual(iface[0].fixed_ips, [{ subnet_id: subnets[0].id, ip_address: '10.128.0.1' }]);

    // The admin's own topology takes the next prefix of the pool.
    const adminTopology = (await admin('GET', `/v2.0/auto-allocated-topology/${adminProject}`)).body.auto_allocated_topology.id;
    t.is((await admin('GET', `/v2.0/subnets?network_id=${adminTopology}`)).body.subnets[0].cidr, '10.128.0.64/26');

    t.is((await demo('DELETE', '/v2.0/auto-allocated-topology/None')).status, 204);
    t.is((await demo('GET', `/v2.0/networks/${networkId}`)).status, 404);
    t.is((await demo('GET', `/v2.0/routers/${routers[0].id}`)).status, 404);
    t.is((await demo('DELETE', '/v2.0/auto-allocated-topology/None')).status, 204, 'nothing left to delete');
    const again = (await demo('GET', '/v2.0/auto-allocated-topology/None')).body.auto_allocated_topology.id;
    t.not(again, networkId, 'a new topology after the delete');
  } finally {
    await n.done();
  }
});
