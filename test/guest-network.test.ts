import test from 'ava';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { namesOf } from '../drivers/dataplane/names.js';
import { counterName } from '../drivers/dataplane/nft-rules.js';
import { droppedPackets } from '../drivers/dataplane/nftables.js';
import { teardown } from '../drivers/dataplane/reconcile.js';
import { readRow } from '../models/typed.js';
import { startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { client } from './helpers/identity.js';
import { holdMachineLock } from './helpers/machine-lock.js';
import { inNs } from './helpers/dataplane.js';

// Two stratus-linux guests on the real host (QEMU TCG), on one network of the Networking API, with the cloud's data
// plane on: their NICs are its taps in the cloud's host namespace (where the private libvirtd runs), they take the
// addresses the API shows by DHCP, read who they are from the metadata service (no config drive) and ping each other;
// one then changes its own address and gets nothing through, its port's drop counter rising. What the guests find
// out they print on their serial consoles, read through the console-output API. The SQLite pass only, machine lock.
// Skipped for now: the guests get their addresses by DHCP, but their first requests to the metadata service have
// not been answered yet (see the README, "Real guests on the data plane").
const run = test.serial.skip;
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');

let c: ComputeCloud;
let release = () => {};
let cloudId = '';

test.before(async () => {
  if (onPostgres()) return;
  release = await holdMachineLock();
  c = await startComputeCloud('guest-network', {
    libvirt: { realHost: true, simulatedHosts: 0 },
    qemu: { linuxImage: true, capabilityCacheDir: CAPABILITIES },
    dataplane: { enabled: 'on', pollMs: 300 },
  });
  cloudId = c.cloud.dataPlane?.cloudId ?? '';
});
test.after.always(async () => {
  try {
    if (c) await c.stop();
  } finally {
    // The hypervisor first: its QEMUs hold the taps of the namespace the teardown removes.
    if (c) await stopQemuHypervisor(join(c.config.stateDir, 'qemu', '1'));
    if (cloudId && c) await teardown(cloudId, join(c.config.stateDir, 'dataplane'));
    release();
  }
});

const consoleOutput = async (id: string): Promise<string> => {
  const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': {} } });
  return r.status === 200 ? (r.body.output as string) : '';
};
/** The first console line of `id` starting with `prefix`, waited for (bounded). */
const lineOf = async (id: string, prefix: string, timeoutMs: number): Promise<string> => {
  let line = '';
  await eventually(
    async () => {
      line = (await consoleOutput(id)).split('\n').find((l) => l.startsWith(prefix)) ?? '';
      return line !== '';
    },
    timeoutMs,
    1_000,
  );
  return line.trim();
};

/** What a guest runs from its user data: ping the peer until it answers, then (the spoofer) wait for the go, given
 * through its server metadata as the metadata service shows it, change its own address and ping again. */
const script = (peer: string, spoofAs?: string) =>
  [
    '#!/bin/sh',
    'n=0',
    `until ping -c 1 -W 1 ${peer} >/dev/null 2>&1 || [ $n -ge 240 ]; do n=$((n + 1)); done`,
    `if ping -c 3 -W 2 ${peer} >/dev/null 2>&1; then echo PING-RESULT to=${peer} ok; else echo PING-RESULT to=${peer} failed; fi`,
    ...(spoofAs
      ? [
          'n=0',
          'until wget -q -O - http://169.254.169.254/openstack/latest/meta_data.json | grep -q spoof-now || [ $n -ge 300 ]; do sleep 1; n=$((n + 1)); done',
          `ip addr flush dev eth0; ip addr add ${spoofAs}/24 dev eth0`,
          `if ping -c 5 -W 2 ${peer} >/dev/null 2>&1; then echo SPOOF-RESULT reached; else echo SPOOF-RESULT blocked; fi`,
        ]
      : []),
    '',
  ].join('\n');

run(
  'two guests on one network: the API’s addresses by DHCP, their own UUIDs from the metadata service, a ping each way, a spoofer blocked',
  async (t) => {
    t.timeout(360_000);
    t.truthy(cloudId, 'the data plane runs');
    const neutron = client(c.cloud.network!.url);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await neutron.call(method, path, { token, body });
      t.true(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const net = (await call('POST', '/v2.0/networks', c.demo, { network: { name: 'guestnet' } })).network;
    await call('POST', '/v2.0/subnets', c.demo, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.30.0.0/24', name: 'guestnet-v4' } });
    await call('POST', '/v2.0/ports', c.admin, { port: { network_id: net.id, device_owner: 'network:dhcp', device_id: 'dhcp' } });
    const portA = (await call('POST', '/v2.0/ports', c.demo, { port: { network_id: net.id, name: 'a' } })).port;
    const portB = (await call('POST', '/v2.0/ports', c.demo, { port: { network_id: net.id, name: 'b' } })).port;
    const ipA = portA.fixed_ips[0].ip_address as string;
    const ipB = portB.fixed_ips[0].ip_address as string;
    const image = (await readRow(c.cloud.db.models.Image, { where: { name: 'stratus-linux', os_hidden: false } }))!.id;

    const boot = async (name: string, port: string, userData: string) => {
      const r = await c.nova.call('POST', '/v2.1/servers', {
        token: c.demo,
        body: { server: { name, imageRef: image, flavorRef: '1', networks: [{ port }], user_data: Buffer.from(userData).toString('base64') } },
      });
      t.is(r.status, 202, JSON.stringify(r.body));
      return r.body.server.id as string;
    };
    const spoofed = '10.30.0.250';
    const a = await boot('guest-a', portA.id, script(ipB));
    const b = await boot('guest-b', portB.id, script(ipA, spoofed));

    // Each guest took the address the API gave its port, by DHCP, and its own identity from the metadata service.
    for (const [id, ip] of [
      [a, ipA],
      [b, ipB],
    ] as const) {
      const banner = await lineOf(id, 'STRATUS-LINUX ', 240_000);
      const why = (await consoleOutput(id)).split('\n').find((l) => l.startsWith('metadata service not reached')) ?? '';
      t.true(banner.includes(`uuid=${id} `), `${banner} ${why}`);
      t.true(banner.includes(`ipv4=${ip} `), banner);
      t.true(banner.includes('metadata=metadata-service'), banner);
    }
    t.is(await lineOf(a, 'PING-RESULT', 120_000), `PING-RESULT to=${ipB} ok`);
    t.is(await lineOf(b, 'PING-RESULT', 120_000), `PING-RESULT to=${ipA} ok`);

    // The guest's NIC is the port's tap in the cloud's host namespace, on the network's bridge, with the port's MAC.
    const names = namesOf(cloudId);
    const links = JSON.parse((await inNs(names.hostNamespace, 'ip', '-j', 'link', 'show', names.iface('port', portB.id))).out) as Array<{
      master?: string;
    }>;
    t.is(links[0]?.master, names.iface('bridge', net.id));

    const counter = counterName(portB.id);
    const before = await droppedPackets(names.hostNamespace, names.table, counter);
    const meta = await c.nova.call('POST', `/v2.1/servers/${b}/metadata`, { token: c.demo, body: { metadata: { go: 'spoof-now' } } });
    t.is(meta.status, 200);
    t.is(await lineOf(b, 'SPOOF-RESULT', 120_000), 'SPOOF-RESULT blocked');
    const after = await droppedPackets(names.hostNamespace, names.table, counter);
    t.true(after > before, `drops of ${counter}: ${before} then ${after}`);
  },
);
