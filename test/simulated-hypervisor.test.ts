import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSimulatedHypervisor, stopSimulatedHypervisor } from '../drivers/simulated/hypervisor-process.js';
import { LibvirtConnection } from '../drivers/libvirt/connection.js';
import { eventually } from './helpers/drive.js';
import { alive } from './helpers/processes.js';

test('a simulated hypervisor starts empty, is reused while whole, replaced when its keeper dies, and stops', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hv-')), '1');
  try {
    const first = await ensureSimulatedHypervisor(dir);
    t.false(first.reused);
    const hypervisor = new LibvirtConnection(first.uri);
    t.deepEqual(await hypervisor.domains(), [], 'the test driver’s built-in domain is gone');
    const uuid = '6f1c1d7e-0000-4000-8000-00000000abcd';
    const started = await hypervisor.ensureRunning({ uuid, memoryMb: 64, vcpus: 1, type: 'test' });
    t.is(started.powerState, 1);
    t.deepEqual(await hypervisor.ensureRunning({ uuid, memoryMb: 64, vcpus: 1, type: 'test' }), started, 'ensureRunning is idempotent');
    await hypervisor.close();

    const again = await ensureSimulatedHypervisor(dir);
    t.like(again, { reused: true, pid: first.pid, bootId: first.bootId });

    // kill -9 of the keeper's connection: the test driver forgets its domains, so the hypervisor is replaced.
    const [, keeper] = readFileSync(join(dir, 'ready'), 'utf8').trim().split(' ').map(Number);
    process.kill(keeper, 'SIGKILL');
    await eventually(() => !alive(keeper), 10_000);
    const replaced = await ensureSimulatedHypervisor(dir);
    t.false(replaced.reused);
    t.not(replaced.bootId, first.bootId);
    t.false(alive(first.pid), 'the broken one was stopped before the new one started');
    const fresh = new LibvirtConnection(replaced.uri);
    t.deepEqual(await fresh.domains(), []);
    t.true((await fresh.remove(uuid)) === false, 'removing a domain that is not there is a success, not an error');
    await fresh.close();

    await stopSimulatedHypervisor(dir);
    t.false(alive(replaced.pid));
  } finally {
    await stopSimulatedHypervisor(dir, 2_000);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('a state directory too deep for a unix socket path is refused with a clear message', async (t) => {
  const error = await t.throwsAsync(ensureSimulatedHypervisor(join('/tmp', 'd'.repeat(100), 'hv', '1')));
  t.regex(error.message, /longer than 107 bytes: choose a shorter stateDir/);
});
