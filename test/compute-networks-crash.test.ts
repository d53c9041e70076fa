import test from 'ava';
import { boot, settled } from './helpers/compute.js';
import { killDuringBurst, startCrashCloud } from './helpers/crash.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';
import { stopTestCloud } from './helpers/test-cloud.js';

// kill -9 of the Stratus process in the middle of 20 boots that each get a port: after the restart every accepted
// server is ACTIVE with its one port, bound to its host; every port on the network is a live server's; no address twice.
test('after kill -9 during 20 boots with networks: servers ACTIVE with their ports, no port without a server, no address twice', async (t) => {
  const { c, nova, token } = await startCrashCloud('compute-networks-crash');
  try {
    const neutron = client(`http://127.0.0.1:${c.env.STRATUS_LISTEN_NETWORK}`);
    const net = (await neutron.call('POST', '/v2.0/networks', { token, body: { network: { name: 'crashnet' } } })).body.network;
    const subnet = await neutron.call('POST', '/v2.0/subnets', {
      token,
      body: { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } },
    });
    t.is(subnet.status, 201);
    const networks = [{ uuid: net.id }];
    for (let i = 0; i < 3; i++) t.is((await boot(nova, token, `steady-${i}`, { networks })).status, 202);
    await settled(nova, token);

    const answered = await killDuringBurst(
      c,
      Array.from({ length: 20 }, (_, i) => () => boot(nova, token, `burst-${i}`, { networks })),
      3,
      (r) => r.body.server.id as string,
    );
    t.log(`${answered.length} of 20 boots accepted before the kill`);

    const servers = await settled(nova, token);
    const byId = new Map(servers.map((s) => [s.id, s]));
    for (const id of answered) t.true(byId.has(id), `accepted server ${id} survived the crash`);
    t.deepEqual(
      servers.filter((s) => s.status !== 'ACTIVE').map((s) => `${s.name}: ${s.status}`),
      [],
    );
    // The reconciler's first pass after the start removes the ports of boots the kill cut short, and binds the rest.
    let ports: any[] = [];
    await eventually(
      async () => {
        ports = (await neutron.call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=compute:nova`, { token })).body.ports;
        return (
          ports.length === servers.length &&
          ports.every((p) => byId.has(p.device_id) && p['binding:host_id'] === byId.get(p.device_id)['OS-EXT-SRV-ATTR:host'])
        );
      },
      60_000,
      200,
    ).catch(() => {});
    t.deepEqual(ports.map((p) => p.device_id).sort(), servers.map((s) => s.id).sort(), 'one port per server, and none without a server');
    for (const p of ports) t.is(p['binding:host_id'], byId.get(p.device_id)['OS-EXT-SRV-ATTR:host'], `port ${p.id} bound to its server's host`);
    const addresses = ports.flatMap((p) => p.fixed_ips.map((f: { ip_address: string }) => f.ip_address));
    t.is(new Set(addresses).size, addresses.length, 'no address allocated twice');
    const all = (await neutron.call('GET', `/v2.0/ports?network_id=${net.id}`, { token })).body.ports;
    t.deepEqual(
      all.filter((p: any) => p.device_owner.startsWith('compute:') && !byId.has(p.device_id)).map((p: any) => p.id),
      [],
    );
    for (const s of servers) {
      const ips = s.addresses.crashnet?.map((a: { addr: string }) => a.addr) ?? [];
      t.deepEqual(
        ips,
        ports.filter((p) => p.device_id === s.id).flatMap((p) => p.fixed_ips.map((f: { ip_address: string }) => f.ip_address)),
        s.name,
      );
    }
  } finally {
    await stopTestCloud(c);
  }
});
