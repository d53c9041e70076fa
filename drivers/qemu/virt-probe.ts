import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a probe boot under KVM may take to print the banner (under TCG here the guest needs 6–8 s). */
export const PROBE_BOUND_MS = 20_000;

export interface ProbeOptions {
  /** The Linux guest's disk (stratus-linux's qcow2); the probe writes nothing to it. */
  readonly disk: string;
  /** What the guest prints once it has booted. */
  readonly banner: string;
  /** Where the verdict is kept (beside the guest's build: one probe per machine and kernel). */
  readonly cacheFile: string;
  readonly boundMs?: number;
}

/**
 * `libvirt.virtType=auto`: whether KVM runs a Linux guest here, decided by booting one under KVM to its banner within
 * a bound — not by /dev/kvm existing, since a PVM-based /dev/kvm runs firmware but no Linux kernel (platform notes
 * §8). The verdict is kept, so each machine probes once per kernel.
 */
export async function probeVirtType(o: ProbeOptions): Promise<'kvm' | 'qemu'> {
  const cached = (await readFile(o.cacheFile, 'utf8').catch(() => '')).trim();
  if (cached === 'kvm' || cached === 'qemu') return cached;
  const verdict = existsSync('/dev/kvm') && (await bootsUnderKvm(o)) ? 'kvm' : 'qemu';
  await writeFile(o.cacheFile, `${verdict}\n`);
  return verdict;
}

async function bootsUnderKvm(o: ProbeOptions): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-kvm-probe-'));
  const log = join(dir, 'serial.log');
  // snapshot=on: the guest's writes go to a temporary file QEMU removes; -no-reboot ends it on a crash-reboot.
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'accel=kvm',
      '-m',
      '128',
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-drive',
      `file=${o.disk},if=virtio,format=qcow2,snapshot=on,readonly=off`,
      '-serial',
      `file:${log}`,
      '-monitor',
      'none',
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  qemu.on('exit', () => (exited = true));
  qemu.on('error', () => (exited = true));
  try {
    const deadline = Date.now() + (o.boundMs ?? PROBE_BOUND_MS);
    while (Date.now() < deadline && !exited) {
      if ((await readFile(log, 'latin1').catch(() => '')).includes(o.banner)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return (await readFile(log, 'latin1').catch(() => '')).includes(o.banner);
  } finally {
    if (!exited) qemu.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
