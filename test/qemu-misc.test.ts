import test from 'ava';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { at, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { qemuPidOf } from './helpers/qemu.js';
import { holdMachineLock } from './helpers/machine-lock.js';
import { novaRefused } from './helpers/refusals.js';

// Issue 18's small actions on a real guest (a private QEMU libvirtd, stratus-tiny under TCG): trigger_crash_dump
// injects an NMI into QEMU, diagnostics read the QEMU domain, changePassword is refused for want of a guest agent,
// and a soft delete stops the QEMU process while keeping the domain, which restore starts again. The SQLite pass
// only: real guests are slow and the PostgreSQL pass would only repeat them.
const run = onPostgres() ? test.serial.skip : test.serial;
const CAPABILITIES = join(tmpdir(), 'stratus-qemu-capabilities');

let c: ComputeCloud;
let qemuDir: string;
let hv: LibvirtConnection;
let release = () => {};

test.before(async () => {
  if (onPostgres()) return;
  // Never beside another real-guest or multi-process suite: TCG guests share two cores.
  release = await holdMachineLock();
  c = await startComputeCloud('qemu-misc', {
    libvirt: { realHost: true, simulatedHosts: 1 },
    qemu: { capabilityCacheDir: CAPABILITIES },
    timeouts: { reclaimInstanceMs: 3_600_000 },
  });
  qemuDir = join(c.config.stateDir, 'qemu', '1');
  hv = new LibvirtConnection(c.cloud.hosts.find((h) => h.name === `qemu-${c.config.nodeId}`)!.uri);
});
test.after.always(async () => {
  try {
    if (!c) return;
    await hv.close();
    await c.stop();
  } finally {
    // A graceful stop leaves real guests running, as stopping nova-compute does: the test stops the daemon itself.
    if (qemuDir) await stopQemuHypervisor(qemuDir);
    release();
  }
});

const show = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') })).body.server;
const act = (id: string, body: unknown, version = '2.17') =>
  c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body, headers: at(version) });
const settled = (id: string, status: string) =>
  eventually(async () => {
    const s = await show(id);
    return s.status === status && s['OS-EXT-STS:task_state'] === null;
  }, 60_000);

run('a real guest: an NMI through QEMU, diagnostics of the QEMU domain, no guest agent for a password; soft delete and restore', async (t) => {
  const id = await bootActive(c, c.demo, 'real-misc');
  t.is((await show(id))['OS-EXT-SRV-ATTR:host'], `qemu-${c.config.nodeId}`, 'booted on the real host');

  const dump = await act(id, { trigger_crash_dump: null });
  t.is(dump.status, 202);
  const requestId = dump.headers.get('x-openstack-request-id');
  let event: any;
  await eventually(async () => {
    event = (await c.nova.call('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, { token: c.admin, headers: at('2.84') })).body
      .instanceAction?.events?.[0];
    return event?.finish_time != null;
  }, 30_000);
  t.like(event, { event: 'compute_trigger_crash_dump', result: 'Success' });

  const info = (await hv.domainInfo(id))!;
  const diagnostics = await c.nova.call('GET', `/v2.1/servers/${id}/diagnostics`, { token: c.admin, headers: at('2.48') });
  t.like(diagnostics.body, { state: 'running', driver: 'libvirt', hypervisor: 'qemu' });
  t.deepEqual(diagnostics.body.memory_details, { maximum: Math.trunc(info.maxMemKiB / 1048576), used: Math.trunc(info.memoryKiB / 1048576) });

  novaRefused(t, await act(id, { changePassword: { adminPass: 'secret' } }), 409, 'QEMU guest agent is not enabled');

  t.is((await c.nova.call('DELETE', `/v2.1/servers/${id}`, { token: c.demo })).status, 204);
  await settled(id, 'SOFT_DELETED');
  t.is(qemuPidOf(id), undefined, 'its QEMU has stopped');
  t.like(await hv.status(id), { powerState: 4 }, 'its domain is kept');
  t.is((await act(id, { restore: null })).status, 202);
  await settled(id, 'ACTIVE');
  t.truthy(qemuPidOf(id), 'a QEMU runs it again');
  t.is((await act(id, { forceDelete: null })).status, 202);
  await eventually(async () => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin })).status === 404, 60_000);
  t.is(await hv.status(id), undefined, 'the domain is gone');
});
