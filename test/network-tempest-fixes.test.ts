import test from 'ava';
import { startNetworkServer } from './helpers/network.js';

// What Tempest's Neutron API tests found, each shown here: bulk creates, the `.json` suffix, Neutron's words for a
// bad port and a remote group that is no id, and an external network deleted with its floating IPs.

test('bulk creates of networks, subnets and ports: all made in order, or none when one is refused', async (t) => {
  const n = await startNetworkServer('net-bulk');
  try {
    const call = (method: string, path: string, body?: unknown) => n.neutron.call(method, path, { token: n.demo, body });
    const nets = await call('POST', '/v2.0/networks', { networks: [{ name: 'b1' }, { name: 'b2' }] });
    t.is(nets.status, 201, JSON.stringify(nets.body));
    t.deepEqual(
      nets.body.networks.map((x: { name: string }) => x.name),
      ['b1', 'b2'],
    );
    const [a, b] = nets.body.networks as Array<{ id: string }>;
    const subs = await call('POST', '/v2.0/subnets', {
      subnets: [
        { network_id: a.id, cidr: '10.1.0.0/24', ip_version: 4 },
        { network_id: b.id, cidr: '10.2.0.0/24', ip_version: 4 },
      ],
    });
    t.is(subs.status, 201);
    t.is(subs.body.subnets.length, 2);
    const ports = await call('POST', '/v2.0/ports', { ports: [{ network_id: a.id }, { network_id: b.id, admin_state_up: false }] });
    t.is(ports.status, 201, JSON.stringify(ports.body));
    t.deepEqual(
      ports.body.ports.map((p: { network_id: string; admin_state_up: boolean }) => [p.network_id, p.admin_state_up]),
      [
        [a.id, true],
        [b.id, false],
      ],
    );
    // The second item is refused: the first is undone.
    const refused = await call('POST', '/v2.0/ports', {
      ports: [
        { network_id: a.id, name: 'undone' },
        { network_id: a.id, bogus: 1 },
      ],
    });
    t.is(refused.status, 400);
    t.is(refused.body.NeutronError.message, "Unrecognized attribute(s) 'bogus'");
    t.deepEqual((await call('GET', '/v2.0/ports?name=undone')).body.ports, []);
    const empty = await call('POST', '/v2.0/networks', { networks: [] });
    t.is(empty.status, 400);
    t.is(empty.body.NeutronError.message, "Object 'networks' contains invalid data");
    // A single create still reads its own body.
    t.is((await call('POST', '/v2.0/networks', { network: { name: 'single' } })).status, 201);
  } finally {
    await n.done();
  }
});

test('quota details with a .json suffix; bad ports and remote groups in Neutron’s words; an external network goes with its floating IPs', async (t) => {
  const n = await startNetworkServer('net-tempest-fixes');
  try {
    const admin = (method: string, path: string, body?: unknown) => n.neutron.call(method, path, { token: n.admin, body });
    const project = await n.projectId('demo');
    const details = await admin('GET', `/v2.0/quotas/${project}/details.json`);
    t.is(details.status, 200);
    t.like(details.body.quota.network, { limit: 100, used: 0 });
    const group = (await admin('POST', '/v2.0/security-groups', { security_group: { name: 'g' } })).body.security_group.id as string;
    const rule = (extra: Record<string, unknown>) =>
      admin('POST', '/v2.0/security-group-rules', {
        security_group_rule: { security_group_id: group, direction: 'ingress', protocol: 'tcp', ...extra },
      });
    const bad = await rule({ port_range_min: -16, port_range_max: 80 });
    t.is(bad.status, 400);
    t.deepEqual(bad.body.NeutronError, { type: 'SecurityGroupInvalidPortValue', message: 'Invalid value for port -16', detail: '' });
    t.is((await rule({ port_range_min: 80, port_range_max: 65536 })).body.NeutronError.message, 'Invalid value for port 65536');
    const remote = await rule({ remote_group_id: 'bad_group_id' });
    t.is(remote.status, 404);
    t.is(remote.body.NeutronError.type, 'SecurityGroupNotFound');

    const ext = (await admin('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network.id as string;
    t.is((await admin('POST', '/v2.0/subnets', { subnet: { network_id: ext, cidr: '10.100.0.0/28', ip_version: 4 } })).status, 201);
    const fip = await admin('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext } });
    t.is(fip.status, 201);
    t.is((await admin('DELETE', `/v2.0/networks/${ext}`)).status, 204);
    t.is((await admin('GET', `/v2.0/floatingips/${fip.body.floatingip.id}`)).status, 404);
    t.deepEqual((await admin('GET', `/v2.0/ports?network_id=${ext}`)).body.ports, []);
  } finally {
    await n.done();
  }
});
