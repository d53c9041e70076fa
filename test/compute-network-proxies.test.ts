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

const at = (version: string) => ({ 'X-OpenStack-Nova-API-Version': version });
const nova = (method: string, path: string, body?: unknown, version = '2.35', token = c.demo) =>
  c.nova.call(method, `/v2.1${path}`, { token, body, headers: at(version) });

test.serial('os-security-groups and os-security-group-rules writes go to Neutron below 2.36; from 2.36 they are 404', async (t) => {
  const made = await nova('POST', '/os-security-groups', { security_group: { name: ' web ', description: 'for the web' } });
  t.is(made.status, 200, JSON.stringify(made.body));
  const group = made.body.security_group;
  t.like(group, { name: 'web', description: 'for the web', rules: [] });
  const inNeutron = (await neutron.call('GET', `/v2.0/security-groups/${group.id}`, { token: c.demo })).body.security_group;
  t.like(inNeutron, { name: 'web', description: 'for the web', project_id: group.tenant_id });
  novaRefused(
    t,
    await nova('POST', '/os-security-groups', { security_group: { name: '', description: 'x' } }),
    400,
    'name has a minimum character requirement of 1.',
  );
  novaRefused(
    t,
    await nova('POST', '/os-security-groups', { security_group: { name: 'x', description: 5 } }),
    400,
    'Security group description is not a string or unicode',
  );
  novaRefused(t, await nova('POST', '/os-security-groups', { group: {} }), 400, 'Missing parameter security_group');
  const updated = await nova('PUT', `/os-security-groups/${group.id}`, { security_group: { name: 'web2', description: 'renamed' } });
  t.is(updated.status, 200);
  t.like(updated.body.security_group, { id: group.id, name: 'web2', description: 'renamed' });

  const rule = await nova('POST', '/os-security-group-rules', {
    security_group_rule: { parent_group_id: group.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' },
  });
  t.is(rule.status, 200, JSON.stringify(rule.body));
  t.deepEqual(rule.body.security_group_rule, {
    id: rule.body.security_group_rule.id,
    parent_group_id: group.id,
    ip_protocol: 'tcp',
    from_port: 22,
    to_port: 22,
    ip_range: { cidr: '10.0.0.0/8' },
    group: {},
  });
  const fromGroup = await nova('POST', '/os-security-group-rules', {
    security_group_rule: { parent_group_id: group.id, ip_protocol: 'icmp', from_port: -1, to_port: -1, group_id: group.id },
  });
  t.is(fromGroup.status, 200, JSON.stringify(fromGroup.body));
  t.like(fromGroup.body.security_group_rule, { ip_protocol: 'icmp', from_port: -1, to_port: -1, ip_range: {}, group: { name: 'web2' } });
  const twice = await nova('POST', '/os-security-group-rules', {
    security_group_rule: { parent_group_id: group.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' },
  });
  novaRefused(t, twice, 400, 'Security group rule already exists.');
  const rules = (id: string) => ({ security_group_rule: { parent_group_id: id, ip_protocol: 'tcp', from_port: 80, to_port: 80 } });
  novaRefused(
    t,
    await nova('POST', '/os-security-group-rules', { security_group_rule: { ...rules(group.id).security_group_rule, ip_protocol: 'sctp' } }),
    400,
    'Invalid IP protocol sctp.',
  );
  novaRefused(
    t,
    await nova('POST', '/os-security-group-rules', { security_group_rule: { ...rules(group.id).security_group_rule, from_port: 90 } }),
    400,
    'Invalid port range 90:80. Former value cannot be greater than the later',
  );
  novaRefused(t, await nova('POST', '/os-security-group-rules', rules('not-a-uuid')), 400, 'Security group id should be uuid');
  const lost = '8f1c2e0a-2f1e-4d3c-9b1a-0c0d0e0f1a2b';
  novaRefused(t, await nova('POST', '/os-security-group-rules', rules(lost)), 404, `Security group ${lost} not found.`);
  const shown = (await nova('GET', `/os-security-groups/${group.id}`)).body.security_group;
  t.is(shown.rules.length, 2);

  t.is((await nova('DELETE', `/os-security-group-rules/${rule.body.security_group_rule.id}`)).status, 202);
  novaRefused(
    t,
    await nova('DELETE', `/os-security-group-rules/${rule.body.security_group_rule.id}`),
    404,
    `Security group rule ${rule.body.security_group_rule.id} not found.`,
  );
  t.is((await nova('GET', `/os-security-groups/${group.id}`)).body.security_group.rules.length, 1);

  // Neutron refuses to delete a project's default group: Nova's 400 with Neutron's words.
  const groups = (await nova('GET', '/os-security-groups')).body.security_groups as Array<{ id: string; name: string }>;
  const fallback = groups.find((g) => g.name === 'default')!;
  const refused = await nova('DELETE', `/os-security-groups/${fallback.id}`);
  novaRefused(t, refused, 400, /default security group/i);
  t.is((await nova('DELETE', `/os-security-groups/${group.id}`)).status, 202);
  novaRefused(t, await nova('GET', `/os-security-groups/${group.id}`), 404, `Security group ${group.id} not found.`);
  t.is((await neutron.call('GET', `/v2.0/security-groups/${group.id}`, { token: c.demo })).status, 404);

  // A reader may not write.
  for (const [method, path] of [
    ['POST', '/os-security-groups'],
    ['POST', '/os-security-group-rules'],
    ['POST', '/os-floating-ips'],
    ['DELETE', `/os-security-groups/${fallback.id}`],
  ]) {
    const r = await nova(method, path, { security_group: { name: 'a', description: 'b' } }, '2.35', await readerToken());
    novaRefused(t, r, 403, /^Policy doesn't allow os_compute_api:os-(security-groups|floating-ips):/);
  }
  // From 2.36: Nova's 404 for every proxy.
  for (const [method, path] of [
    ['POST', '/os-security-groups'],
    ['PUT', `/os-security-groups/${fallback.id}`],
    ['DELETE', `/os-security-groups/${fallback.id}`],
    ['POST', '/os-security-group-rules'],
    ['DELETE', `/os-security-group-rules/${lost}`],
    ['POST', '/os-floating-ips'],
    ['DELETE', `/os-floating-ips/${lost}`],
    ['GET', '/os-networks'],
    ['GET', '/os-tenant-networks'],
  ]) {
    novaRefused(
      t,
      await nova(method, path, method === 'GET' ? undefined : { security_group: { name: 'a', description: 'b' } }, '2.36'),
      404,
      'The resource could not be found.',
    );
  }
});

let reader: string | undefined;
async function readerToken(): Promise<string> {
  const { userWithRole } = await import('./helpers/compute.js');
  reader ??= await userWithRole(c, 'proxy-reader', 'reader', 'demo');
  return reader;
}

test.serial('os-floating-ips allocate and release through Neutron; addFloatingIp and removeFloatingIp below 2.44', async (t) => {
  const made = await nova('POST', '/os-floating-ips', { pool: 'public' });
  t.is(made.status, 200, JSON.stringify(made.body));
  const fip = made.body.floating_ip;
  t.like(fip, { pool: 'public', fixed_ip: null, instance_id: null });
  t.regex(fip.ip, /^172\.24\.4\.\d+$/);
  const bare = await c.nova.call('POST', '/v2.1/os-floating-ips', { token: c.demo, headers: at('2.35') });
  t.is(bare.status, 200, JSON.stringify(bare.body));
  t.is(bare.body.floating_ip.pool, 'public');
  novaRefused(t, await nova('POST', '/os-floating-ips', { pool: 'nowhere' }), 404, 'Floating IP pool not found.');

  const server = (await boot(c.nova, c.demo, 'with-fip')).body.server.id as string;
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${server}`, { token: c.demo })).body.server.status === 'ACTIVE');
  const fixed = (await c.nova.call('GET', `/v2.1/servers/${server}`, { token: c.demo })).body.server.addresses.private[0].addr as string;
  const add = await nova('POST', `/servers/${server}/action`, { addFloatingIp: { address: fip.ip } });
  t.is(add.status, 202, JSON.stringify(add.body));
  t.like((await nova('GET', `/os-floating-ips/${fip.id}`)).body.floating_ip, { ip: fip.ip, fixed_ip: fixed, instance_id: server });
  const addresses = (await c.nova.call('GET', `/v2.1/servers/${server}`, { token: c.demo })).body.server.addresses.private;
  t.true(addresses.some((a: { addr: string; 'OS-EXT-IPS:type': string }) => a.addr === fip.ip && a['OS-EXT-IPS:type'] === 'floating'));
  novaRefused(t, await nova('POST', `/servers/${server}/action`, { addFloatingIp: { address: '172.24.4.254' } }), 404, 'floating IP not found');
  novaRefused(
    t,
    await nova('POST', `/servers/${server}/action`, { addFloatingIp: { address: bare.body.floating_ip.ip, fixed_address: '10.99.0.1' } }),
    400,
    'Specified fixed address not assigned to instance',
  );
  novaRefused(
    t,
    await nova('POST', `/servers/${server}/action`, { addFloatingIp: { address: fip.ip } }, '2.44'),
    404,
    'The resource could not be found.',
  );

  t.is((await nova('POST', `/servers/${server}/action`, { removeFloatingIp: { address: fip.ip } })).status, 202);
  t.like((await nova('GET', `/os-floating-ips/${fip.id}`)).body.floating_ip, { fixed_ip: null, instance_id: null });
  novaRefused(
    t,
    await nova('POST', `/servers/${server}/action`, { removeFloatingIp: { address: fip.ip } }),
    409,
    `Floating IP ${fip.ip} is not associated with instance ${server}.`,
  );

  t.is((await nova('DELETE', `/os-floating-ips/${fip.id}`)).status, 202);
  novaRefused(t, await nova('DELETE', `/os-floating-ips/${fip.id}`), 404, `Floating IP not found for ID ${fip.id}`);
  t.is((await neutron.call('GET', `/v2.0/floatingips/${fip.id}`, { token: c.demo })).status, 404);
});

test.serial('os-networks and os-tenant-networks list and show Neutron’s networks below 2.36; their writes are gone (410)', async (t) => {
  const listed = (await nova('GET', '/os-networks')).body.networks as Array<Record<string, unknown>>;
  const priv = listed.find((n) => n.label === 'private')!;
  t.truthy(priv);
  t.truthy(listed.find((n) => n.label === 'public'));
  t.deepEqual(Object.keys(priv).sort(), [
    'broadcast',
    'cidr',
    'cidr_v6',
    'dns1',
    'dns2',
    'gateway',
    'gateway_v6',
    'id',
    'label',
    'netmask',
    'netmask_v6',
  ]);
  t.is(priv.cidr, null);
  t.deepEqual((await nova('GET', `/os-networks/${String(priv.id)}`)).body.network, priv);
  const asAdmin = (await nova('GET', `/os-networks/${String(priv.id)}`, undefined, '2.35', c.admin)).body.network;
  t.is(Object.keys(asAdmin).length, 32);
  t.deepEqual((await nova('GET', `/os-tenant-networks/${String(priv.id)}`)).body.network, { id: priv.id, cidr: 'None', label: 'private' });
  novaRefused(t, await nova('GET', '/os-networks/8f1c2e0a-2f1e-4d3c-9b1a-0c0d0e0f1a2b'), 404, 'Network not found');
  novaRefused(t, await nova('POST', '/os-networks', { network: { label: 'x' } }, '2.35', c.admin), 410, /no longer available/);
  novaRefused(t, await nova('DELETE', `/os-networks/${String(priv.id)}`, undefined, '2.35', c.admin), 410, /no longer available/);
});
