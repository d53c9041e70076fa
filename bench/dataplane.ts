import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMetadataService } from '../bin/metadata-service.js';
import { signIdentity } from '../http/metadata/signature.js';
import { openDatabase } from '../models/database.js';
import { silentLogger } from '../runtime/logger.js';
import { reconcile } from '../drivers/dataplane/reconcile.js';
import type { DataPlanePlan, PortPlan } from '../drivers/dataplane/plan.js';
import { inNs, instanceRow, sh, testPlane } from '../test/helpers/dataplane.js';
import { note, report, scaled } from './report.js';

// The data plane's costs, measured between network namespaces standing in for guests (real guests come with the
// data-plane actor): TCP throughput through a Stratus bridge with its anti-spoofing and security-group rules vs two
// namespaces on a bare bridge without rules, the same run; and metadata answers through a network's proxy vs
// requests signed and sent straight to the service's socket.

const SECRET = 'bench-secret-0123456789abcdef';

/** Seconds to push `mib` MiB from `from` to `to`:5201 over TCP (busybox-free: netcat-openbsd and dd). */
async function transfer(from: string, to: string, address: string, mib: number): Promise<number> {
  const receiver = spawn('ip', ['netns', 'exec', to, 'nc', '-l', '-p', '5201'], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 200; i++) {
    if ((await inNs(to, 'ss', '-Hltn', 'sport = :5201')).out.trim()) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const done = new Promise((r) => receiver.once('exit', r));
  const started = process.hrtime.bigint();
  const sent = await sh('ip', ['netns', 'exec', from, 'sh', '-c', `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null | nc -N ${address} 5201`], 120_000);
  await done;
  if (sent.code !== 0) throw new Error(`transfer failed: ${sent.out}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function bareBridge(tag: string) {
  const host = `sdbench-${tag}-bare`;
  await sh('ip', ['netns', 'add', host]);
  await sh('ip', ['-n', host, 'link', 'add', 'br0', 'mtu', '1450', 'type', 'bridge']);
  await sh('ip', ['-n', host, 'link', 'set', 'br0', 'up']);
  const guests: string[] = [];
  for (const i of [1, 2]) {
    const g = `sdbench-${tag}-bare${i}`;
    await sh('ip', ['netns', 'add', g]);
    await sh('ip', ['-n', host, 'link', 'add', `p${i}`, 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', '1450', 'netns', g]);
    await sh('ip', ['-n', host, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
    await sh('ip', ['-n', g, 'addr', 'add', `10.0.0.${10 + i}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', g, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', g, 'link', 'set', 'lo', 'up']);
    guests.push(g);
  }
  return {
    guests,
    cleanup: async () => [host, ...guests].reduce((p, ns) => p.then(() => sh('ip', ['netns', 'delete', ns])), Promise.resolve({ code: 0, out: '' })),
  };
}

// Runs inside a namespace (or beside the socket): `count` sequential GETs over one kept-alive connection; prints
// answers/s and the p99 in ms as JSON.
const CLIENT = String.raw`
const http = require('node:http');
const [target, count, headersJson, distinct] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const options = target.startsWith('/') ? { socketPath: target } : { host: target, port: 80 };
const headers = JSON.parse(headersJson);
let n = 0;
// distinct: each request its own query string, so no cache before the service's answers it.
const one = () => new Promise((resolve, reject) => {
  const path = '/latest/meta-data/instance-id' + (distinct === '1' ? '?n=' + n++ : '');
  const req = http.request({ ...options, agent, path, headers }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('status ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end();
});
(async () => {
  for (let i = 0; i < 50; i++) await one();
  const times = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < Number(count); i++) {
    const t0 = process.hrtime.bigint();
    await one();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ rate: Number(count) / seconds, p99: times[Math.floor(times.length * 0.99)] }));
  agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

async function client(ns: string | undefined, target: string, count: number, headers: Record<string, string>, distinct = false) {
  const args = [process.execPath, '-e', CLIENT, target, String(count), JSON.stringify(headers), distinct ? '1' : '0'];
  const r = ns ? await sh('ip', ['netns', 'exec', ns, ...args], 120_000) : await sh(args[0], args.slice(1), 120_000);
  if (r.code !== 0) throw new Error(`metadata client failed: ${r.out}`);
  return JSON.parse(r.out) as { rate: number; p99: number };
}

export async function run(): Promise<void> {
  const plane = testPlane();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-dataplane-'));
  const db = await openDatabase(`sqlite:${join(dir, 'bench.sqlite')}`);
  const bare = await bareBridge(plane.cloudId);
  const socketPath = join(dir, 'metadata.sock');
  const secretFile = join(dir, 'metadata.secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  const server = await startMetadataService(db, socketPath, SECRET, silentLogger());
  try {
    const networkId = randomUUID();
    const subnetId = randomUUID();
    const group = randomUUID();
    const ports: PortPlan[] = [];
    for (const i of [1, 2]) {
      const uuid = randomUUID();
      const portId = randomUUID();
      const ip = `10.0.0.${10 + i}`;
      const mac = `fa:16:3e:00:00:1${i}`;
      await db.models.Instance.create(instanceRow(uuid, 'p-1', `vm-${i}`));
      const now = new Date();
      await db.models.NeutronPort.create({
        id: portId,
        project_id: 'p-1',
        network_id: networkId,
        name: '',
        description: '',
        mac_address: mac,
        admin_state_up: true,
        status: 'ACTIVE',
        device_id: uuid,
        device_owner: 'compute:nova',
        port_security_enabled: true,
        binding_host_id: 'bench',
        allowed_address_pairs: '[]',
        security_groups: JSON.stringify([group]),
        revision_number: 1,
        created_at: now,
        updated_at: now,
      });
      await db.models.NeutronIpAllocation.create({ subnet_id: subnetId, ip_address: ip, network_id: networkId, port_id: portId });
      const ns = await plane.guest(`g${i}`);
      ports.push({
        id: portId,
        networkId,
        mac,
        ips: [ip],
        allowedAddressPairs: [],
        portSecurity: true,
        securityGroups: [group],
        device: { kind: 'veth', guestNamespace: ns, guestName: 'eth0' },
      });
    }
    const plan: DataPlanePlan = {
      cloudId: plane.cloudId,
      stateDir: join(plane.stateDir, 'dataplane'),
      networks: [
        {
          id: networkId,
          mtu: 1450,
          dhcp: {
            mac: 'fa:16:3e:00:00:02',
            domain: 'novalocal',
            subnets: [{ cidr: '10.0.0.0/24', address: '10.0.0.2', gateway: null, dnsNameservers: [] }],
            hosts: [],
          },
        },
      ],
      ports,
      // Neutron's default group: ingress from its members, all egress.
      securityGroups: [
        {
          id: group,
          members: ['10.0.0.11', '10.0.0.12'],
          rules: [
            {
              direction: 'ingress',
              ethertype: 'IPv4',
              protocol: null,
              portRangeMin: null,
              portRangeMax: null,
              remoteIpPrefix: null,
              remoteGroupId: group,
            },
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
    const [g1, g2] = plane.guests as [string, string];
    for (const [g, ip] of [
      [g1, '10.0.0.11'],
      [g2, '10.0.0.12'],
    ] as const) {
      await inNs(g, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      await inNs(g, 'ip', 'route', 'add', '169.254.169.254/32', 'via', '10.0.0.2');
    }

    const mib = scaled(512, 16);
    const rounds = 3;
    const stratus: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < rounds; i++) {
      stratus.push(await transfer(g1, g2, '10.0.0.12', mib));
      plain.push(await transfer(bare.guests[0], bare.guests[1], '10.0.0.12', mib));
    }
    const mbps = (seconds: number) => (mib * 8 * 1.048576) / seconds;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    note(`guest stand-ins are network namespaces on veths (MTU 1450); ${mib} MiB per transfer, median of ${rounds}`);
    report('guest-to-guest TCP through the Stratus bridge and rules', mbps(median(stratus)), 'Mbit/s', 'bare bridge, no rules', mbps(median(plain)));

    // Rule changes: how long until a reconcile has a security-group change in the kernel.
    const changeStarted = process.hrtime.bigint();
    const changed = {
      ...plan,
      securityGroups: [
        {
          ...plan.securityGroups[0],
          rules: [
            ...plan.securityGroups[0].rules,
            {
              direction: 'ingress' as const,
              ethertype: 'IPv4' as const,
              protocol: 'tcp',
              portRangeMin: 22,
              portRangeMax: 22,
              remoteIpPrefix: '0.0.0.0/0',
              remoteGroupId: null,
            },
          ],
        },
      ],
    };
    await reconcile(changed);
    const changeMs = Number(process.hrtime.bigint() - changeStarted) / 1e6;
    const idleStarted = process.hrtime.bigint();
    await reconcile(changed);
    report(
      'security-group rule change to rules in place (reconcile)',
      changeMs,
      'ms',
      'reconcile with nothing to change',
      Number(process.hrtime.bigint() - idleStarted) / 1e6,
    );

    const count = scaled(2000, 100);
    const proxied = await client(g1, '169.254.169.254', count, {});
    const headers = {
      'x-forwarded-for': '10.0.0.11',
      'x-stratus-network-id': networkId,
      'x-stratus-signature': signIdentity(SECRET, 'network', networkId, '10.0.0.11'),
    };
    const direct = await client(undefined, socketPath, count, headers);
    note(`${count} sequential metadata GETs over one kept-alive connection`);
    report('metadata answers through the network proxy', proxied.rate, '/s', 'straight to the service socket', direct.rate);
    report('metadata p99 through the network proxy', proxied.p99, 'ms', 'straight to the service socket', direct.p99);
    // The same with a new path each time: every answer comes from the service through the proxy's hop.
    const fresh = await client(g1, '169.254.169.254', count, {}, true);
    const freshDirect = await client(undefined, socketPath, count, headers, true);
    note('the same, each GET a new query string: none answered from the proxy’s one-second cache');
    report('metadata p99 through the network proxy, uncached', fresh.p99, 'ms', 'straight to the service socket', freshDirect.p99);
  } finally {
    await plane.cleanup();
    await bare.cleanup();
    await new Promise((r) => server.close(r));
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
