import test from 'ava';
import { boot, startComputeCloud, type Api, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';
import { novaRefused } from './helpers/refusals.js';

// Nova's side of the Networking service on a whole cloud (simulated hosts): a user's port claimed by one boot of
// many at once, and the network proxies' writes below 2.36 (what Nova does through Neutron) and their answers from 2.36.

let c: ComputeCloud;
let neutron: Api;
test.before(async () => {
  c = await startComputeCloud('compute-network-proxies', { libvirt: { simulatedHosts: 2 } });
  neutron = client(c.cloud.network!.url);
});
test.after.always(async () => {
  if (c) await c.stop();
});

test.serial('ten concurrent boots on one user port: one wins, the others get PortInUse (409), the port stays the winner’s', async (t) => {
  const nets = (await neutron.call('GET', '/v2.0/networks?name=private', { token: c.demo })).body.networks;
  const port = (await neutron.call('POST', '/v2.0/ports', { token: c.demo, body: { port: { network_id: nets[0].id, name: 'contested' } } })).body
    .port;
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => boot(c.nova, c.demo, `claim-${i}`, { networks: [{ port: port.id }] })));
  const won = answers.filter((r) => r.status === 202);
  t.is(won.length, 1, JSON.stringify(answers.map((r) => r.status)));
  for (const r of answers.filter((x) => x.status !== 202)) novaRefused(t, r, 409, `Port ${port.id} is still in use.`);
  const winner = won[0].body.server.id as string;
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${winner}`, { token: c.demo })).body.server.status === 'ACTIVE');
  const shown = (await neutron.call('GET', `/v2.0/ports/${port.id}`, { token: c.admin })).body.port;
  t.like(shown, { device_id: winner, device_owner: 'compute:nova' });
  const server = (await c.nova.call('GET', `/v2.1/servers/${winner}`, { token: c.demo })).body.server;
  t.deepEqual(
    server.addresses.private.map((a: { addr: string }) => a.addr),
    port.fixed_ips.map((f: { ip_address: string }) => f.ip_address),
  );
  // Only the winner's server exists; the losers left no link behind.
  const servers = (await c.nova.call('GET', '/v2.1/servers', { token: c.demo })).body.servers.filter((s: { name: string }) =>
    s.name.startsWith('claim-'),
  );
  t.deepEqual(
    servers.map((s: { id: string }) => s.id),
    [winner],
  );
  t.is(await c.cloud.db.models.InstancePort.count({ where: { port_id: port.id } }), 1);
});
