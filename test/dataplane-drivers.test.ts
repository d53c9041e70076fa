import test from 'ava';
import { randomUUID } from 'node:crypto';
import { findDnsmasq } from '../drivers/dataplane/dnsmasq.js';
import { listLinks } from '../drivers/dataplane/links.js';
import { namesOf } from '../drivers/dataplane/names.js';
import { listNamespaces } from '../drivers/dataplane/namespaces.js';
import { counterName } from '../drivers/dataplane/nft-rules.js';
import { droppedPackets, listTables, NFT } from '../drivers/dataplane/nftables.js';
import type { DataPlanePlan, PortPlan, SecurityGroupPlan } from '../drivers/dataplane/plan.js';
import { reconcile } from '../drivers/dataplane/reconcile.js';
import { inNs, sh, testPlane, type TestPlane } from './helpers/dataplane.js';
import { join } from 'node:path';

// The data plane's drivers on real kernel parts: namespaces, bridges, veth pairs standing in for guests (their other
// ends in namespaces of the test's own), nftables and dnsmasq. Nothing here needs a database: both passes run it.

const SUBNET = '10.0.0.0/24';
const ingress = (remoteGroupId: string | null, protocol: string | null = null, port: number | null = null) => ({
  direction: 'ingress' as const,
  ethertype: 'IPv4' as const,
  protocol,
  portRangeMin: port,
  portRangeMax: port,
  remoteIpPrefix: null,
  remoteGroupId,
});
const egressAll = {
  direction: 'egress' as const,
  ethertype: 'IPv4' as const,
  protocol: null,
  portRangeMin: null,
  portRangeMax: null,
  remoteIpPrefix: null,
  remoteGroupId: null,
};

interface Guest {
  ns: string;
  port: PortPlan;
}

/** One network 10.0.0.0/24 with DHCP on .2 and guests .11, .12, … in Neutron's default group (the same in every cloud: CIDRs, addresses and MACs overlap). */
async function cloud(plane: TestPlane, count: number) {
  const networkId = randomUUID();
  const group = randomUUID();
  const guests: Guest[] = [];
  for (let i = 0; i < count; i++) {
    const ns = await plane.guest(`g${i + 1}`);
    guests.push({
      ns,
      port: {
        id: randomUUID(),
        networkId,
        mac: `fa:16:3e:00:00:${(0x11 + i).toString(16)}`,
        ips: [`10.0.0.${11 + i}`],
        allowedAddressPairs: [],
        portSecurity: true,
        securityGroups: [group],
        device: { kind: 'veth', guestNamespace: ns, guestName: 'eth0' },
      },
    });
  }
  const groups: SecurityGroupPlan[] = [{ id: group, rules: [ingress(group), egressAll], members: guests.map((g) => g.port.ips[0]) }];
  const plan = (ports = guests.map((g) => g.port), securityGroups = groups): DataPlanePlan => ({
    cloudId: plane.cloudId,
    stateDir: join(plane.stateDir, 'dataplane'),
    networks: [
      {
        id: networkId,
        mtu: 1450,
        dhcp: {
          mac: 'fa:16:3e:00:00:02',
          domain: 'openstacklocal',
          subnets: [{ cidr: SUBNET, address: '10.0.0.2', gateway: '10.0.0.1', dnsNameservers: [] }],
          hosts: ports.map((p, i) => ({ mac: p.mac, ip: p.ips[0], hostname: `vm-${i + 1}` })),
        },
      },
    ],
    ports,
    securityGroups,
  });
  return { networkId, group, guests, plan };
}

// Up to three echoes (a first one may wait for ARP): exit 0 when any is answered.
const ping = (ns: string, address: string) => inNs(ns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', address);

test('two clouds side by side with overlapping CIDRs: DHCP gives the planned address, guests reach each other, nothing crosses', async (t) => {
  const a = testPlane();
  const b = testPlane();
  try {
    t.not(a.cloudId, b.cloudId);
    const ca = await cloud(a, 2);
    const cb = await cloud(b, 2);
    const ra = await reconcile(ca.plan());
    await reconcile(cb.plan());
    const na = namesOf(a.cloudId);
    t.true(ra.created.includes(`namespace ${na.hostNamespace}`));
    t.true(ra.created.includes(`dnsmasq ${ca.networkId}`));

    for (const [plane, c] of [
      [a, ca],
      [b, cb],
    ] as const) {
      const [g1, g2] = c.guests;
      const lease = await plane.dhcp(g1.ns);
      t.is(lease.code, 0, JSON.stringify(lease));
      t.like(lease.lease, { ip: '10.0.0.11', mask: '24', router: '10.0.0.1', hostname: 'vm-1', mtu: '1450', dns: '10.0.0.2' });
      t.is(lease.lease.staticroutes, '169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1');
      t.is((await plane.dhcp(g2.ns)).lease.ip, '10.0.0.12');
      t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
      t.is((await ping(g2.ns, '10.0.0.11')).code, 0);
      // The DHCP namespace's dnsmasq serves the host names.
      const names = namesOf(plane.cloudId);
      const dns = await inNs(names.dhcpNamespace(c.networkId), 'busybox', 'nslookup', 'vm-2.openstacklocal', '10.0.0.2');
      t.regex(dns.out, /Address: 10\.0\.0\.12/);
    }

    // Each cloud's host namespace holds its own interfaces alone, each at most 15 characters.
    for (const plane of [a, b]) {
      const names = namesOf(plane.cloudId);
      const links = await listLinks(names.hostNamespace, '');
      const own = links.filter((l) => l.ifname !== 'lo');
      t.is(own.length, 1 + 1 + 2); // bridge, DHCP port, two guests
      t.true(own.every((l) => l.ifname.startsWith(names.interfacePrefix) && l.ifname.length <= 15));
      t.deepEqual((await listTables(names.hostNamespace)).map((x) => `${x.family} ${x.name}`).sort(), [
        `bridge ${names.table}`,
        `inet ${names.table}`,
      ]);
    }
    t.is(findDnsmasq(join(a.stateDir, 'dataplane')).length, 1);
    t.is(findDnsmasq(join(b.stateDir, 'dataplane')).length, 1);
    // The machine's own namespace got nothing.
    const machine = await sh('ip', ['-j', 'link', 'show']);
    t.false(machine.out.includes(namesOf(a.cloudId).interfacePrefix));
    t.false(machine.out.includes(namesOf(b.cloudId).interfacePrefix));

    // A second reconcile changes nothing.
    t.deepEqual(await reconcile(ca.plan()), { created: [], removed: [], changed: [] });
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
  t.deepEqual(await listNamespaces(namesOf(a.cloudId).namespacePrefix), []);
});

test('anti-spoofing: a guest sending from another address or MAC gets nothing through and its drop counter rises', async (t) => {
  const plane = testPlane();
  try {
    const c = await cloud(plane, 2);
    await reconcile(c.plan());
    const [g1, g2] = c.guests;
    for (const g of [g1, g2]) await inNs(g.ns, 'ip', 'addr', 'add', `${g.port.ips[0]}/24`, 'dev', 'eth0');
    t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
    const names = namesOf(plane.cloudId);
    const counter = counterName(g1.port.id);
    const before = await droppedPackets(names.hostNamespace, names.table, counter);

    // Another IP (the other guest's, as an attacker would).
    await inNs(g1.ns, 'ip', 'addr', 'flush', 'dev', 'eth0');
    await inNs(g1.ns, 'ip', 'addr', 'add', '10.0.0.50/24', 'dev', 'eth0');
    t.not((await ping(g1.ns, '10.0.0.12')).code, 0);
    const afterIp = await droppedPackets(names.hostNamespace, names.table, counter);
    t.true(afterIp > before, `${before} → ${afterIp}`);

    // Its own IP from another MAC.
    await inNs(g1.ns, 'ip', 'addr', 'flush', 'dev', 'eth0');
    await inNs(g1.ns, 'ip', 'link', 'set', 'eth0', 'address', 'fa:16:3e:00:00:99');
    await inNs(g1.ns, 'ip', 'addr', 'add', '10.0.0.11/24', 'dev', 'eth0');
    await inNs(g2.ns, 'ip', 'neigh', 'flush', 'all');
    t.not((await ping(g1.ns, '10.0.0.12')).code, 0);
    t.true((await droppedPackets(names.hostNamespace, names.table, counter)) > afterIp);

    // Back to its own: through again. An allowed address pair lets it use a second address.
    await inNs(g1.ns, 'ip', 'link', 'set', 'eth0', 'address', g1.port.mac);
    t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
    await inNs(g1.ns, 'ip', 'addr', 'flush', 'dev', 'eth0');
    await inNs(g1.ns, 'ip', 'addr', 'add', '10.0.0.60/24', 'dev', 'eth0');
    t.not((await ping(g1.ns, '10.0.0.12')).code, 0);
    const paired = { ...g1.port, allowedAddressPairs: [{ ip_address: '10.0.0.60' }] };
    const groups = [{ id: c.group, rules: [ingress(c.group), egressAll], members: ['10.0.0.11', '10.0.0.12', '10.0.0.60'] }];
    const report = await reconcile(c.plan([paired, g2.port], groups));
    t.deepEqual(report.changed.sort(), [`table bridge ${names.table}`, `table inet ${names.table}`]);
    t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
  } finally {
    await plane.cleanup();
  }
});

test('security groups: ingress from the same group only, a rule for port 22 opens it and removing it closes it', async (t) => {
  const plane = testPlane();
  const listeners: Array<{ kill: () => Promise<unknown> }> = [];
  try {
    const c = await cloud(plane, 3);
    const [g1, g2, g3] = c.guests;
    const other = randomUUID();
    // g3 is in a group of its own with egress only.
    const ports = [g1.port, g2.port, { ...g3.port, securityGroups: [other] }];
    const groups = (extra: ReturnType<typeof ingress>[]) => [
      { id: c.group, rules: [ingress(c.group), egressAll, ...extra], members: ['10.0.0.11', '10.0.0.12'] },
      { id: other, rules: [egressAll], members: ['10.0.0.13'] },
    ];
    await reconcile(c.plan(ports, groups([])));
    for (const g of c.guests) await inNs(g.ns, 'ip', 'addr', 'add', `${g.port.ips[0]}/24`, 'dev', 'eth0');
    t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
    t.not((await ping(g3.ns, '10.0.0.11')).code, 0, 'another group is not let in');
    t.is((await ping(g1.ns, '10.0.0.13')).code, 1, 'nor is anything let into g3');

    const server = await startListener(g1.ns, 22);
    listeners.push(server);
    const connect = () => inNs(g3.ns, 'nc', '-z', '-w', '1', '10.0.0.11', '22');
    t.not((await connect()).code, 0);
    await reconcile(c.plan(ports, groups([ingress(null, 'tcp', 22)])));
    t.is((await connect()).code, 0);
    t.not((await ping(g3.ns, '10.0.0.11')).code, 0, 'the port rule lets in tcp/22 alone');
    await reconcile(c.plan(ports, groups([])));
    t.not((await connect()).code, 0);
  } finally {
    for (const l of listeners) await l.kill();
    await plane.cleanup();
  }
});

async function startListener(ns: string, port: number) {
  const { spawn } = await import('node:child_process');
  // -k: keeps listening after each connection.
  const child = spawn('ip', ['netns', 'exec', ns, 'nc', '-l', '-k', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const listening = await inNs(ns, 'ss', '-Hltn', `sport = :${port}`);
    if (listening.out.trim()) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

test('a reconcile after a partial teardown makes what is missing and removes what is stale, duplicating nothing', async (t) => {
  const plane = testPlane();
  try {
    const c = await cloud(plane, 2);
    await reconcile(c.plan());
    const names = namesOf(plane.cloudId);
    const root = join(plane.stateDir, 'dataplane');
    const [g1, g2] = c.guests;
    const bridge = names.iface('bridge', c.networkId);
    const dhcpNs = names.dhcpNamespace(c.networkId);

    // Half of it goes: a guest's device, the inet table, the DHCP namespace (its interface with it) and dnsmasq.
    await sh('ip', ['-n', names.hostNamespace, 'link', 'delete', names.iface('port', g1.port.id)]);
    await inNs(names.hostNamespace, NFT, 'delete', 'table', 'inet', names.table);
    for (const p of findDnsmasq(root)) process.kill(p.pid, 'SIGKILL');
    await sh('ip', ['netns', 'delete', dhcpNs]);
    // A stranger's interface in the host namespace, without the prefix: never touched.
    await sh('ip', ['-n', names.hostNamespace, 'link', 'add', 'stranger0', 'type', 'bridge']);
    await new Promise((r) => setTimeout(r, 50));

    const report = await reconcile(c.plan());
    t.deepEqual(
      report.created.sort(),
      [
        `dnsmasq ${c.networkId}`,
        `link ${names.iface('dhcpHost', c.networkId)}`,
        `link ${names.iface('port', g1.port.id)}`,
        `namespace ${dhcpNs}`,
      ].sort(),
    );
    t.true(report.changed.includes(`table inet ${names.table}`));
    t.false(report.changed.includes(`table bridge ${names.table}`));
    t.deepEqual(report.removed, [], 'the DHCP veth went with its namespace');

    const links = (await listLinks(names.hostNamespace, '')).map((l) => l.ifname).sort();
    t.deepEqual(
      links,
      [bridge, names.iface('dhcpHost', c.networkId), names.iface('port', g1.port.id), names.iface('port', g2.port.id), 'lo', 'stranger0'].sort(),
    );
    t.is(findDnsmasq(root).length, 1);
    t.is((await plane.dhcp(g1.ns)).lease.ip, '10.0.0.11');
    t.is((await plane.dhcp(g2.ns)).lease.ip, '10.0.0.12');
    t.is((await ping(g2.ns, '10.0.0.11')).code, 0);
    t.deepEqual(await reconcile(c.plan()), { created: [], removed: [], changed: [] });

    // The plan loses g2, then the network: its device, then the bridge, DHCP namespace and dnsmasq go.
    const fewer = await reconcile(c.plan([g1.port]));
    t.true(fewer.removed.includes(`link ${names.iface('port', g2.port.id)}`));
    t.true(fewer.changed.includes(`dnsmasq ${c.networkId}`), 'its host entry went: dnsmasq reads them again');
    const none = await reconcile({ ...c.plan([]), networks: [] });
    t.deepEqual(
      none.removed.sort(),
      [
        `dnsmasq ${c.networkId}`,
        `link ${bridge}`,
        `link ${names.iface('dhcpHost', c.networkId)}`,
        `link ${names.iface('port', g1.port.id)}`,
        `namespace ${dhcpNs}`,
      ].sort(),
    );
    t.deepEqual(findDnsmasq(root), []);
    t.deepEqual((await listLinks(names.hostNamespace, '')).map((l) => l.ifname).sort(), ['lo', 'stranger0']);
  } finally {
    await plane.cleanup();
  }
});

test('traffic keeps flowing while reconciles replace the rules and restart what was killed (at most one echo lost)', async (t) => {
  const plane = testPlane();
  try {
    const c = await cloud(plane, 2);
    await reconcile(c.plan());
    const [g1, g2] = c.guests;
    for (const g of [g1, g2]) await inNs(g.ns, 'ip', 'addr', 'add', `${g.port.ips[0]}/24`, 'dev', 'eth0');
    t.is((await ping(g1.ns, '10.0.0.12')).code, 0);
    const names = namesOf(plane.cloudId);
    const stream = inNs(g1.ns, 'ping', '-i', '0.2', '-c', '30', '-W', '1', '10.0.0.12');
    const withRule = (port: number) => [
      { id: c.group, rules: [ingress(c.group), egressAll, ingress(null, 'tcp', port)], members: ['10.0.0.11', '10.0.0.12'] },
    ];
    for (let i = 0; i < 4; i++) {
      const r = await reconcile(c.plan(undefined, withRule(1000 + i)));
      t.true(r.changed.includes(`table inet ${names.table}`));
    }
    for (const p of findDnsmasq(join(plane.stateDir, 'dataplane'))) process.kill(p.pid, 'SIGKILL');
    await reconcile(c.plan());
    const { out } = await stream;
    const [, sent, received] = /(\d+) packets transmitted, (\d+) received/.exec(out) ?? [];
    t.is(Number(sent), 30, out);
    t.true(Number(sent) - Number(received) <= 1, out);
  } finally {
    await plane.cleanup();
  }
});
