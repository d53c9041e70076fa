import test from 'ava';
import type { NodeInfo } from '../runtime/cluster/types.js';
import { startNetworkServer } from './helpers/network.js';

// The network and router actors behind the Networking API: a crash of either (the test-only crash switch, a
// handler throwing once) restarts it, the message is handled again and nothing is lost or made twice.

test('a network actor and a router actor crashing mid-change restart, and every change lands once', async (t) => {
  const crashed = new Set<string>();
  const n = await startNetworkServer('net-actors', {
    crashOnce: (kind, type) => {
      const key = `${kind}.${type}`;
      if (crashed.has(key)) return false;
      crashed.add(key);
      return true;
    },
  });
  try {
    const call = (method: string, path: string, body?: unknown) => n.neutron.call(method, path, { token: n.demo, body });
    const net = await call('POST', '/v2.0/networks', { network: { name: 'crashy' } });
    t.is(net.status, 201, JSON.stringify(net.body));
    const id = net.body.network.id as string;
    const sub = await call('POST', '/v2.0/subnets', { subnet: { network_id: id, cidr: '10.9.0.0/24', ip_version: 4 } });
    t.is(sub.status, 201, JSON.stringify(sub.body));
    const renamed = await call('PUT', `/v2.0/networks/${id}`, { network: { name: 'renamed' } });
    t.is(renamed.status, 200);
    t.is(renamed.body.network.name, 'renamed');
    const subnets = (await call('GET', `/v2.0/subnets?network_id=${id}`)).body.subnets;
    t.is(subnets.length, 1, 'the subnet made once although its handler crashed after writing it');
    const router = await call('POST', '/v2.0/routers', { router: { name: 'r' } });
    t.is(router.status, 201);
    const rid = router.body.router.id as string;
    const added = await call('PUT', `/v2.0/routers/${rid}/add_router_interface`, { subnet_id: sub.body.subnet.id });
    t.is(added.status, 200, JSON.stringify(added.body));
    const ports = (await call('GET', `/v2.0/ports?device_id=${rid}`)).body.ports;
    t.is(ports.length, 1);
    t.is(ports[0].fixed_ips[0].ip_address, '10.9.0.1');
    // Each kind's handlers crashed once per message type, and the actors were restarted by their supervisor.
    for (const key of ['network.create', 'network.createSubnet', 'network.update', 'router.create', 'router.addInterface'])
      t.true(crashed.has(key), key);
    const crashes = (await n.identity.db.sequelize.query('SELECT kind, COUNT(*) AS n FROM actor_crashes GROUP BY kind ORDER BY kind', {
      type: 'SELECT',
    })) as Array<{ kind: string; n: number | string }>;
    t.deepEqual(
      crashes.map((c) => [c.kind, Number(c.n) > 0]),
      [
        ['network', true],
        ['router', true],
      ],
    );
    // A refusal inside the actor comes back as Neutron's error, not as a crash.
    const inUse = await call('DELETE', `/v2.0/subnets/${sub.body.subnet.id}`);
    t.is(inUse.status, 409);
    t.is(inUse.body.NeutronError.type, 'SubnetInUse');
    t.is((await call('PUT', `/v2.0/routers/${rid}/remove_router_interface`, { subnet_id: sub.body.subnet.id })).status, 200);
    t.is((await call('DELETE', `/v2.0/routers/${rid}`)).status, 204);
    t.is((await call('DELETE', `/v2.0/networks/${id}`)).status, 204);
    t.is((await call('GET', `/v2.0/networks/${id}`)).status, 404);
    t.is((await call('GET', `/v2.0/subnets/${sub.body.subnet.id}`)).status, 404);
  } finally {
    await n.done();
  }
});

test('agents: four per node with the network role, alive while its lease runs; a non-admin sees an empty list', async (t) => {
  const now = Date.now();
  const node = (nodeId: string, roles: string[], leaseExpiresAt: number, status: NodeInfo['status']): NodeInfo => ({
    nodeId,
    roles,
    address: '',
    protocolVersion: 1,
    status,
    leaseExpiresAt,
    startedAt: now - 60_000,
    incarnation: 'i',
    pins: [],
    load: { activations: 0, mailbox: 0 },
  });
  const nodes = [
    node('net-a', ['network', 'api'], now + 60_000, 'up'),
    node('net-b', ['network'], now - 1_000, 'down'),
    node('api-c', ['api'], now + 60_000, 'up'),
  ];
  const n = await startNetworkServer('net-agents', { clusterNodes: () => nodes });
  try {
    const admin = await n.neutron.call('GET', '/v2.0/agents', { token: n.admin });
    t.is(admin.status, 200);
    const agents = admin.body.agents as Array<{ id: string; host: string; agent_type: string; binary: string; alive: boolean }>;
    t.is(agents.length, 8);
    t.deepEqual([...new Set(agents.map((a) => a.host))], ['net-a', 'net-b']);
    t.deepEqual(
      agents.filter((a) => a.host === 'net-a').map((a) => a.agent_type),
      ['L3 agent', 'DHCP agent', 'Metadata agent', 'Linux bridge agent'],
    );
    t.true(agents.filter((a) => a.host === 'net-a').every((a) => a.alive));
    t.true(
      agents.filter((a) => a.host === 'net-b').every((a) => !a.alive),
      'a node whose lease lapsed has dead agents',
    );
    const l3 = (await n.neutron.call('GET', '/v2.0/agents?agent_type=L3%20agent&host=net-a', { token: n.admin })).body.agents;
    t.is(l3.length, 1);
    t.like((await n.neutron.call('GET', `/v2.0/agents/${l3[0].id}`, { token: n.admin })).body.agent, { binary: 'neutron-l3-agent', host: 'net-a' });
    t.deepEqual((await n.neutron.call('GET', '/v2.0/agents', { token: n.demo })).body, { agents: [] });
    const missing = await n.neutron.call('GET', '/v2.0/agents/00000000-0000-4000-8000-000000000001', { token: n.admin });
    t.is(missing.status, 404);
    t.is(missing.body.NeutronError.type, 'AgentNotFound');
    const ext = (await n.neutron.call('GET', '/v2.0/extensions', { token: n.demo })).body.extensions.map((e: { alias: string }) => e.alias);
    for (const alias of ['router', 'security-group', 'ext-gw-mode', 'agent', 'quota_details']) t.true(ext.includes(alias), alias);
  } finally {
    await n.done();
  }
});
