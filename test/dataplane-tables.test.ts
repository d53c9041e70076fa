import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { desiredDataPlane } from '../actors/dataplane/desired.js';
import { reconcile } from '../drivers/dataplane/reconcile.js';
import { startNetworkServer } from './helpers/network.js';
import { inNs, instanceRow, testPlane } from './helpers/dataplane.js';

// The data plane computed from the Networking API's tables: ports made through the API (an admin binds them to the
// host and sets their device), their addresses handed out by DHCP, their security groups and rule changes followed.
// Namespaces stand in for the guests. Both database passes.

const ping = (ns: string, address: string) => inNs(ns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', address);

test('ports made through the API: DHCP hands out the addresses the API shows, default group semantics, a rule change followed', async (t) => {
  const n = await startNetworkServer('dataplane-tables');
  const plane = testPlane();
  try {
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await n.neutron.call(method, path, { token, body });
      t.true(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const net = (await call('POST', '/v2.0/networks', n.demo, { network: { name: 'private' } })).network;
    await call('POST', '/v2.0/subnets', n.demo, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.20.0.0/24' } });
    // The service made the network's DHCP port with the subnet (as Neutron's DHCP agent does).
    const [dhcpPort] = (await call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`, n.admin)).ports;
    const web = (await call('POST', '/v2.0/security-groups', n.demo, { security_group: { name: 'web' } })).security_group;

    const models = n.identity.db.models;
    const projectId = net.project_id as string;
    const guests = new Map<string, string>();
    const boot = async (name: string, groups?: string[]) => {
      const uuid = randomUUID();
      await models.Instance.create(instanceRow(uuid, projectId, name));
      const body = { network_id: net.id, device_id: uuid, device_owner: 'compute:nova', ...(groups ? { security_groups: groups } : {}) };
      const port = (await call('POST', '/v2.0/ports', n.demo, { port: body })).port;
      await call('PUT', `/v2.0/ports/${port.id}`, n.admin, { port: { 'binding:host_id': 'qemu-1' } });
      guests.set(port.id, await plane.guest(name));
      return { port, ns: guests.get(port.id)!, ip: port.fixed_ips[0].ip_address as string };
    };
    const a = await boot('vm-a');
    const b = await boot('vm-b');
    const c = await boot('vm-c', [web.id]);
    // A port bound elsewhere is not this machine's to plumb.
    await call('POST', '/v2.0/ports', n.admin, {
      port: { network_id: net.id, device_owner: 'compute:nova', device_id: randomUUID(), 'binding:host_id': 'elsewhere' },
    });

    const desired = () =>
      desiredDataPlane(models, {
        cloudId: plane.cloudId,
        stateDir: join(plane.stateDir, 'dataplane'),
        hostId: 'qemu-1',
        device: (p) => ({ kind: 'veth', guestNamespace: guests.get(p.id)!, guestName: 'eth0' }),
      });
    const plan = await desired();
    t.deepEqual(plan.ports.map((p) => p.id).sort(), [a.port.id, b.port.id, c.port.id].sort());
    t.is(plan.networks[0]?.dhcp?.subnets[0]?.address, dhcpPort.fixed_ips[0].ip_address);
    await reconcile(plan);

    for (const [g, name] of [
      [a, 'vm-a'],
      [b, 'vm-b'],
      [c, 'vm-c'],
    ] as const) {
      const lease = await plane.dhcp(g.ns);
      t.is(lease.lease.ip, g.ip, JSON.stringify(lease));
      t.is(lease.lease.hostname, name);
      t.is(lease.lease.router, '10.20.0.1');
    }
    // The default group lets in its own members; `web` (egress only) lets nothing in, and is not in `default`.
    t.is((await ping(a.ns, b.ip)).code, 0);
    t.not((await ping(c.ns, a.ip)).code, 0);
    t.not((await ping(a.ns, c.ip)).code, 0);

    const rule = (
      await call('POST', '/v2.0/security-group-rules', n.demo, {
        security_group_rule: { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' },
      })
    ).security_group_rule;
    const changed = await reconcile(await desired());
    t.true(changed.changed.some((x) => x.startsWith('table inet')));
    t.is((await ping(a.ns, c.ip)).code, 0);
    await call('DELETE', `/v2.0/security-group-rules/${rule.id}`, n.demo);
    await reconcile(await desired());
    t.not((await ping(a.ns, c.ip)).code, 0);

    // The port goes (the instance was deleted): its device goes with it.
    await call('DELETE', `/v2.0/ports/${b.port.id}`, n.admin);
    const removed = await reconcile(await desired());
    t.true(removed.removed.some((x) => x.startsWith('link ')));
    t.true(removed.changed.some((x) => x.startsWith('dnsmasq ')));
  } finally {
    await plane.cleanup();
    await n.done();
  }
});
