import test from 'ava';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { client } from './helpers/identity.js';
import { listLinks } from '../drivers/dataplane/links.js';
import { listNamespaces } from '../drivers/dataplane/namespaces.js';
import { namesOf } from '../drivers/dataplane/names.js';
import { teardown } from '../drivers/dataplane/reconcile.js';
import { metadataPaths, metadataSecret } from '../bin/dataplane.js';
import { ref } from '../runtime/ref.js';
import type { DataPlaneRow } from '../actors/dataplane/index.js';

// The data plane as a cloud runs it: `dataplane.enabled` on, the node's data-plane actor follows the Networking API's
// tables (a port bound to the node's host gets its tap on the network's bridge, the network its DHCP namespace; a
// deleted port loses its tap), and the metadata service listens on its socket with a secret made into the state
// directory. Real kernel parts (the cloud's own namespaces); taps stand for guests no QEMU opens. Both database passes.

test('the data-plane actor follows ports bound to its host; the metadata service and its secret are in the state directory', async (t) => {
  const c = await startComputeCloud('dataplane-actor', { dataplane: { enabled: 'on', pollMs: 50, repairMs: 60_000 } }, undefined, { judged: false });
  const cloudId = c.cloud.dataPlane?.cloudId;
  try {
    t.truthy(cloudId, 'the cloud says it runs a data plane');
    const names = namesOf(cloudId!);
    const paths = metadataPaths(c.config.stateDir);
    t.true(statSync(paths.socketPath).isSocket());
    t.is(statSync(paths.socketPath).mode & 0o777, 0o600);
    t.is(statSync(paths.secretFile).mode & 0o777, 0o600);
    const secret = readFileSync(paths.secretFile, 'utf8');
    t.regex(secret, /^[0-9a-f]{64}$/);
    // A later start reads the same secret: proxies already running keep signing with it.
    t.is(metadataSecret(paths.secretFile), secret);

    const neutron = client(c.cloud.network!.url);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await neutron.call(method, path, { token, body });
      t.true(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const net = (await call('POST', '/v2.0/networks', c.demo, { network: { name: 'plane' } })).network;
    await call('POST', '/v2.0/subnets', c.demo, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.31.0.0/24' } });
    const host = c.cloud.hosts[0].name;
    const port = (
      await call('POST', '/v2.0/ports', c.admin, {
        port: { network_id: net.id, device_owner: 'compute:nova', device_id: '7d1c0b1e-58b1-4c1e-9a43-3d8f0e1d2c41', 'binding:host_id': host },
      })
    ).port;
    const elsewhere = (
      await call('POST', '/v2.0/ports', c.admin, {
        port: { network_id: net.id, device_owner: 'compute:nova', device_id: '8e2d1c2f-69c2-4d2f-8b54-4e9f1f2e3d52', 'binding:host_id': 'elsewhere' },
      })
    ).port;

    const tap = names.iface('port', port.id);
    const tapOf = async (id: string) => (await listLinks(names.hostNamespace, names.iface('port', id)))[0];
    await eventually(async () => (await tapOf(port.id)) !== undefined, 30_000, 50);
    const link = await tapOf(port.id);
    t.is(link.kind, 'tun');
    t.is(link.master, names.iface('bridge', net.id));
    t.is((await listLinks(names.hostNamespace, names.iface('port', elsewhere.id))).length, 0, 'a port bound to another host is not plumbed here');
    await eventually(async () => (await listNamespaces(names.namespacePrefix)).includes(names.dhcpNamespace(net.id)), 30_000, 50);

    const row = await c.cloud.node.ask<DataPlaneRow>(ref('dataplane', c.config.nodeId), 'get', {});
    t.true(row.reconciles >= 1);
    t.is(row.last_error, null);
    t.regex(row.plan_hash ?? '', /^[0-9a-f]{64}$/);

    // Unchanged tables: once settled (a poll may not have seen the last port yet), a nudge applies nothing; the port
    // deleted: its tap goes at the next poll.
    await c.cloud.node.ask(ref('dataplane', c.config.nodeId), 'reconcile', { force: false });
    t.deepEqual(await c.cloud.node.ask(ref('dataplane', c.config.nodeId), 'reconcile', { force: false }), { applied: false });
    await call('DELETE', `/v2.0/ports/${port.id}`, c.admin);
    // The bridge goes with its last port, in the same reconcile.
    const bridge = names.iface('bridge', net.id);
    await eventually(
      async () => (await listLinks(names.hostNamespace, tap)).length + (await listLinks(names.hostNamespace, bridge)).length === 0,
      30_000,
      50,
    );
    t.is((await c.cloud.node.ask<DataPlaneRow>(ref('dataplane', c.config.nodeId), 'get', {})).last_error, null);
  } finally {
    await c.cloud.stop();
    if (cloudId) await teardown(cloudId, join(c.config.stateDir, 'dataplane'));
    t.false(cloudId ? (await listNamespaces(namesOf(cloudId).namespacePrefix)).length > 0 : false, 'nothing of the cloud is left');
    rmSync(c.dir, { recursive: true, force: true });
    await c.database.drop();
    t.false(existsSync(c.dir));
  }
});
