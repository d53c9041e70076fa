import { execFile } from 'node:child_process';

/** What a hypervisor says it is: libvirt's driver type (QEMU, TEST…) and its version as Nova encodes it. */
export interface HypervisorIdentity {
  readonly type: string;
  readonly version: number;
}

/**
 * Asks the hypervisor through `virsh version` (the binding has neither virConnectGetType nor
 * virConnectGetVersion); the version is Nova's integer, major × 1,000,000 + minor × 1,000 + release.
 */
export function hypervisorIdentity(uri: string, timeoutMs = 10_000): Promise<HypervisorIdentity> {
  return new Promise((resolve, reject) => {
    execFile(
      'virsh',
      ['-c', uri, 'version'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }, timeout: timeoutMs },
      (error, stdout) => {
        if (error) {
          reject(new Error(`virsh version failed: ${error.message}`, { cause: error }));
          return;
        }
        const identity = parseVirshVersion(stdout);
        if (identity) resolve(identity);
        else reject(new Error(`virsh version named no running hypervisor: ${stdout.slice(0, 200)}`));
      },
    );
  });
}

export function parseVirshVersion(output: string): HypervisorIdentity | undefined {
  const running = /^Running hypervisor: (\S+) (\d+)\.(\d+)\.(\d+)/m.exec(output);
  if (!running) return undefined;
  const [, type, major, minor, release] = running;
  return { type, version: Number(major) * 1_000_000 + Number(minor) * 1_000 + Number(release) };
}
