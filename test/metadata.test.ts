import test from 'ava';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Database } from '../models/database.js';
import type { InstanceRow } from '../models/instance.js';
import { silentLogger } from '../runtime/logger.js';
import { startMetadataService } from '../bin/metadata-service.js';
import { signIdentity } from '../http/metadata/signature.js';
import { findMetadataProxies } from '../drivers/dataplane/metadata-proxy.js';
import type { DataPlanePlan, PortPlan } from '../drivers/dataplane/plan.js';
import { reconcile } from '../drivers/dataplane/reconcile.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { inNs, testPlane, type TestPlane } from './helpers/dataplane.js';

// The metadata service on its UNIX socket, reached from namespaces standing in for guests through the per-network
// proxies the data plane runs: two projects' networks with the same CIDR and the same addresses, real nftables
// anti-spoofing in between. Both database passes.

let database: TestDatabase;
let db: Database;
let plane: TestPlane;
let server: Server;
const SECRET = 'metadata-test-secret-0123456789';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFl1Qpk5rD8W2vGmF7L3t+v1w5o0n2b0p4zE3k9q8XyZ a@b';

interface Guest {
  uuid: string;
  ns: string;
  port: PortPlan;
}
const guests: Record<'a1' | 'a2' | 'b1', Guest> = {} as never;
const networks = { a: randomUUID(), b: randomUUID() };
const subnets: Record<string, string> = { [networks.a]: randomUUID(), [networks.b]: randomUUID() };
let socketPath = '';
let plan: DataPlanePlan;

function instance(uuid: string, project: string, hostname: string): InstanceRow {
  const now = new Date();
  return {
    uuid,
    project_id: project,
    user_id: 'u-1',
    display_name: hostname,
    display_description: null,
    hostname,
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host: 'qemu-1',
    node: 'qemu-1',
    availability_zone: 'nova',
    flavor_id: 'f-1',
    flavor_name: 'm1.tiny',
    memory_mb: 256,
    vcpus: 1,
    root_gb: 1,
    ephemeral_gb: 0,
    image_ref: 'c0ffee00-0000-4000-8000-000000000001',
    key_name: 'mykey',
    key_data: KEY,
    admin_pass: null,
    locked: false,
    locked_reason: null,
    reservation_id: `r-${hostname}`,
    launch_index: 0,
    fault_code: null,
    fault_message: null,
    fault_details: null,
    metadata: '{}',
    tags: '[]',
    user_data: Buffer.from(`#!/bin/sh\necho ${hostname}\n`).toString('base64'),
    access_ip_v4: null,
    access_ip_v6: null,
    config_drive: '',
    auto_disk_config: false,
    root_device_name: null,
    security_groups: '["default"]',
    trusted_certs: null,
    swap: 0,
    flavor_extra_specs: '{}',
    requested_host: null,
    force_host: false,
    launched_at: now,
    terminated_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
}

async function port(networkId: string, project: string, deviceId: string, mac: string, ip: string, owner = 'compute:nova') {
  const id = randomUUID();
  const now = new Date();
  await db.models.NeutronPort.create({
    id,
    project_id: project,
    network_id: networkId,
    name: '',
    description: '',
    mac_address: mac,
    admin_state_up: true,
    status: 'ACTIVE',
    device_id: deviceId,
    device_owner: owner,
    port_security_enabled: true,
    binding_host_id: 'qemu-1',
    allowed_address_pairs: '[]',
    security_groups: '[]',
    revision_number: 1,
    created_at: now,
    updated_at: now,
  });
  await db.models.NeutronIpAllocation.create({ subnet_id: subnets[networkId], ip_address: ip, network_id: networkId, port_id: id });
  return id;
}

test.before(async () => {
  database = await createTestDatabase('metadata');
  db = await openDatabase(database.url);
  plane = testPlane();
  socketPath = join(plane.stateDir, 'metadata.sock');
  const secretFile = join(plane.stateDir, 'metadata.secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  server = await startMetadataService(db, socketPath, SECRET, silentLogger());

  const group = randomUUID();
  const make = async (name: 'a1' | 'a2' | 'b1', networkId: string, project: string, ip: string, mac: string) => {
    const uuid = randomUUID();
    await db.models.Instance.create(instance(uuid, project, `vm-${name}`));
    const portId = await port(networkId, project, uuid, mac, ip);
    const ns = await plane.guest(name);
    guests[name] = {
      uuid,
      ns,
      port: {
        id: portId,
        networkId,
        mac,
        ips: [ip],
        allowedAddressPairs: [],
        portSecurity: true,
        securityGroups: [group],
        device: { kind: 'veth', guestNamespace: ns, guestName: 'eth0' },
      },
    };
  };
  // Two projects, the same CIDR, the same address on each: only the network tells them apart.
  await make('a1', networks.a, 'project-a', '10.0.0.11', 'fa:16:3e:00:00:11');
  await make('a2', networks.a, 'project-a', '10.0.0.12', 'fa:16:3e:00:00:12');
  await make('b1', networks.b, 'project-b', '10.0.0.11', 'fa:16:3e:00:00:11');
  const dhcp = (ports: Guest[]) => ({
    mac: 'fa:16:3e:00:00:02',
    domain: 'novalocal',
    subnets: [{ cidr: '10.0.0.0/24', address: '10.0.0.2', gateway: null, dnsNameservers: [] }],
    hosts: ports.map((g) => ({ mac: g.port.mac, ip: g.port.ips[0], hostname: 'vm' })),
  });
  plan = {
    cloudId: plane.cloudId,
    stateDir: join(plane.stateDir, 'dataplane'),
    networks: [
      { id: networks.a, mtu: 1450, dhcp: dhcp([guests.a1, guests.a2]) },
      { id: networks.b, mtu: 1450, dhcp: dhcp([guests.b1]) },
    ],
    ports: Object.values(guests).map((g) => g.port),
    securityGroups: [
      {
        id: group,
        members: [],
        rules: [
          {
            direction: 'egress',
            ethertype: 'IPv4',
            protocol: null,
            portRangeMin: null,
            portRangeMax: null,
            remoteIpPrefix: null,
            remoteGroupId: null,
          },
        ],
      },
    ],
    metadata: { socketPath, secretFile },
  };
  await reconcile(plan);
  for (const g of Object.values(guests)) {
    await inNs(g.ns, 'ip', 'addr', 'add', `${g.port.ips[0]}/24`, 'dev', 'eth0');
    await inNs(g.ns, 'ip', 'route', 'add', '169.254.169.254/32', 'via', '10.0.0.2');
  }
});

test.after.always(async () => {
  await plane?.cleanup();
  await new Promise((r) => server?.close(r));
  await db?.sequelize.close();
  await database?.drop();
});

const curl = (ns: string, path: string, ...extra: string[]) =>
  inNs(ns, 'curl', '-s', '-m', '3', '-w', '\n%{http_code}', ...extra, `http://169.254.169.254${path}`);

const answer = async (ns: string, path: string, ...extra: string[]) => {
  const r = await curl(ns, path, ...extra);
  const at = r.out.lastIndexOf('\n');
  return { code: r.code, status: Number(r.out.slice(at + 1)), body: r.out.slice(0, at) };
};

test.serial('each guest reads its own OpenStack and EC2 metadata through its network’s proxy, overlapping addresses included', async (t) => {
  t.is(findMetadataProxies(plan.stateDir).length, 2);
  for (const name of ['a1', 'a2', 'b1'] as const) {
    const g = guests[name];
    const md = await answer(g.ns, '/openstack/latest/meta_data.json');
    t.is(md.status, 200, md.body);
    const parsed = JSON.parse(md.body) as { uuid: string; hostname: string; public_keys: Record<string, string> };
    t.is(parsed.uuid, g.uuid);
    t.is(parsed.hostname, `vm-${name}.novalocal`);
    t.deepEqual(parsed.public_keys, { mykey: KEY });
    t.is((await answer(g.ns, '/openstack/latest/user_data')).body, `#!/bin/sh\necho vm-${name}\n`);
    t.is((await answer(g.ns, '/latest/meta-data/local-ipv4')).body, g.port.ips[0]);
    t.regex((await answer(g.ns, '/latest/meta-data/instance-id')).body, /^i-[0-9a-f]{8}$/);
    t.is((await answer(g.ns, '/latest/meta-data/reservation-id')).body, `r-vm-${name}`);
    t.is((await answer(g.ns, '/latest/user-data')).body, `#!/bin/sh\necho vm-${name}\n`);
  }
  // Back to back through one proxy (which keeps answers a second per address and path): each gets its own.
  for (const name of ['a1', 'a2', 'a1', 'a2'] as const) {
    const md = await answer(guests[name].ns, '/openstack/latest/meta_data.json');
    t.is((JSON.parse(md.body) as { uuid: string }).uuid, guests[name].uuid);
  }
  const a2 = guests.a2.ns;
  t.is((await answer(a2, '/latest/meta-data/public-keys/')).body, '0=mykey');
  t.is((await answer(a2, '/latest/meta-data/public-keys/0/openssh-key')).body, KEY);
  t.is((await answer(a2, '/latest/meta-data/security-groups')).body, 'default');
  t.is((await answer(a2, '/latest/meta-data/public-ipv4')).body, '');
  t.regex((await answer(a2, '/latest/meta-data/ami-id')).body, /^ami-[0-9a-f]{8}$/);
  t.regex((await answer(a2, '/latest/meta-data/')).body, /^ami-id$/m);
  t.regex((await answer(a2, '/openstack/')).body, /^latest$/m);
  t.is((await answer(a2, '/openstack/latest/password')).status, 200);
  t.deepEqual(JSON.parse((await answer(a2, '/openstack/latest/vendor_data2.json')).body), {});
  t.deepEqual(JSON.parse((await answer(a2, '/openstack/latest/network_data.json')).body), {});
  t.is((await answer(a2, '/openstack/latest/nothing')).status, 404);
  t.is((await answer(a2, '/latest/meta-data/no/such')).status, 404);
  t.is((await answer(a2, '/latest/meta-data/instance-id', '-X', 'POST')).status, 405);
  // Identity headers a guest sends itself are dropped by the proxy: it still reads its own data.
  const forged = await answer(
    a2,
    '/openstack/latest/meta_data.json',
    '-H',
    `X-Stratus-Network-ID: ${networks.b}`,
    '-H',
    'X-Forwarded-For: 10.0.0.11',
  );
  t.is((JSON.parse(forged.body) as { uuid: string }).uuid, guests.a2.uuid);
});

test.serial('a guest taking another guest’s address gets no answer at all', async (t) => {
  const a2 = guests.a2.ns;
  await inNs(a2, 'ip', 'addr', 'flush', 'dev', 'eth0');
  await inNs(a2, 'ip', 'addr', 'add', '10.0.0.11/24', 'dev', 'eth0');
  await inNs(a2, 'ip', 'route', 'add', '169.254.169.254/32', 'via', '10.0.0.2');
  try {
    const spoofed = await curl(a2, '/openstack/latest/meta_data.json');
    t.not(spoofed.code, 0, spoofed.out);
    t.false(spoofed.out.includes(guests.a1.uuid));
  } finally {
    await inNs(a2, 'ip', 'addr', 'flush', 'dev', 'eth0');
    await inNs(a2, 'ip', 'addr', 'add', '10.0.0.12/24', 'dev', 'eth0');
    await inNs(a2, 'ip', 'route', 'add', '169.254.169.254/32', 'via', '10.0.0.2');
  }
  t.is((await answer(a2, '/latest/meta-data/local-ipv4')).body, '10.0.0.12');
});

function direct(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.serial('a request that does not come through a proxy, or carries a forged identity, is refused', async (t) => {
  const none = await direct('/openstack/latest/meta_data.json', {});
  t.is(none.status, 400);
  t.is(none.body, 'X-Forwarded-For and X-Stratus-Network-ID or X-Stratus-Router-ID headers are missing from request.\n');
  const unsigned = await direct('/openstack/latest/meta_data.json', { 'x-forwarded-for': '10.0.0.11', 'x-stratus-network-id': networks.a });
  t.is(unsigned.status, 403);
  t.is(unsigned.body, 'Invalid proxy request signature.\n');
  const wrongKey = await direct('/openstack/latest/meta_data.json', {
    'x-forwarded-for': '10.0.0.11',
    'x-stratus-network-id': networks.a,
    'x-stratus-signature': signIdentity('not-the-secret', 'network', networks.a, '10.0.0.11'),
  });
  t.is(wrongKey.status, 403);
  t.is(wrongKey.body, 'Invalid proxy request signature.\n');
  // A signature for one network does not vouch for another.
  const moved = await direct('/openstack/latest/meta_data.json', {
    'x-forwarded-for': '10.0.0.11',
    'x-stratus-network-id': networks.b,
    'x-stratus-signature': signIdentity(SECRET, 'network', networks.a, '10.0.0.11'),
  });
  t.is(moved.status, 403);
  // With the real secret (what a proxy does), the network decides whose data it is.
  const signed = (network: string) => ({
    'x-forwarded-for': '10.0.0.11',
    'x-stratus-network-id': network,
    'x-stratus-signature': signIdentity(SECRET, 'network', network, '10.0.0.11'),
  });
  t.is((JSON.parse((await direct('/openstack/latest/meta_data.json', signed(networks.b))).body) as { uuid: string }).uuid, guests.b1.uuid);
  const nobody = await direct('/openstack/latest/meta_data.json', { ...signed(randomUUID()) });
  t.is(nobody.status, 404);
  t.is(nobody.body, 'Instance not found.\n');
});
