import test from 'ava';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopQemuHypervisor } from '../drivers/qemu/daemon.js';
import { at, bootActive, startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { eventually } from './helpers/drive.js';
import { onPostgres } from './helpers/database.js';
import { qemuPidOf } from './helpers/qemu.js';

// The real host: a private QEMU libvirtd under the cloud's state directory, stratus-tiny guests under TCG, driven
// through the API and observed on the real processes. The SQLite pass only: real guests are slow and the two
// database passes would only repeat them.
const run = onPostgres() ? test.serial.skip : test.serial;

let c: ComputeCloud;
let qemuDir: string;
const show = async (id: string) => (await c.nova.call('GET', `/v2.1/servers/${id}`, { token: c.admin, headers: at('2.93') })).body.server;

test.before(async () => {
  if (onPostgres()) return;
  c = await startComputeCloud('qemu-host', {
    libvirt: { realHost: true, simulatedHosts: 1 },
    qemu: { stoppedEventDelayMs: 1_000, powerSyncMs: 2_000, capabilityCacheDir: join(tmpdir(), 'stratus-qemu-capabilities') },
    timeouts: { reportIntervalMs: 500, serviceDownMs: 3_000, softRebootMs: 3_000, cleanShutdownMs: 3_000, hypervisorRetryMs: 300 },
  });
  qemuDir = join(c.config.stateDir, 'qemu', '1');
});
test.after.always(async () => {
  if (!c) return;
  await c.stop();
  // A graceful stop leaves real guests running, as stopping nova-compute does: the test stops the daemon itself.
  await stopQemuHypervisor(qemuDir);
});

run('a plain boot of stratus-tiny runs a QEMU guest on the real host; its banner comes back as console output', async (t) => {
  const id = await bootActive(c, c.demo, 'tiny');
  const server = await show(id);
  t.is(server['OS-EXT-SRV-ATTR:host'], `qemu-${c.config.nodeId}`);
  t.is(server['OS-EXT-AZ:availability_zone'], 'nova');
  t.truthy(qemuPidOf(id), 'a QEMU process runs with the server’s -uuid');
  let output = '';
  await eventually(
    async () => {
      const r = await c.nova.call('POST', `/v2.1/servers/${id}/action`, { token: c.demo, body: { 'os-getConsoleOutput': {} } });
      output = r.body.output ?? '';
      return r.status === 200 && output.includes('STRATUS-TINY');
    },
    60_000,
    200,
  );
  t.regex(output, /STRATUS-TINY/);
});
