import { execFile } from 'node:child_process';

/**
 * What `uptime` prints on the machine this compute service runs on, which is what Nova's libvirt
 * driver answers for a host's uptime (clients parse it: time, "up …", users, load average).
 */
export function hostUptime(timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('uptime', [], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }, timeout: timeoutMs }, (error, stdout) => {
      // An ExecFileException is an Error; its type, built with Omit, no longer says so.
      const failure: Error | null = error;
      if (failure) reject(failure);
      else resolve(stdout.replace(/\n+$/, ''));
    });
  });
}
