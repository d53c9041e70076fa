import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const cmdline = (pid: number): string[] | undefined => {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // A zombie's command line is empty: it is gone for every purpose here.
    return text ? text.split('\0') : undefined;
  } catch {
    return undefined;
  }
};

/** True when pid is a live process whose command line mentions `marker` (a state directory): pids get reused. */
export const runningWith = (pid: number, marker: string) => cmdline(pid)?.some((arg) => arg.includes(marker)) ?? false;

/**
 * True while pid exists and has not exited (a zombie has). For a process just started, whose command line is
 * briefly empty while it execs, so `runningWith` would call it gone.
 */
export function exists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** True when pid is a live QEMU started for the domain with this UUID. */
export function isQemuOf(pid: number, uuid: string): boolean {
  const args = cmdline(pid);
  if (!args) return false;
  const at = args.indexOf('-uuid');
  return at >= 0 && args[at + 1] === uuid;
}

export const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
};

/**
 * The QEMU processes a daemon runs, from its runtime state (`/run/libvirt/qemu/<name>.xml` inside its namespace,
 * `<dir>/run/qemu` outside), each checked against its command line's `-uuid`. They are not libvirtd's children
 * (libvirt daemonizes QEMU), and they outlive libvirtd, so this is how they are found when it is not running.
 */
export function qemuGuests(dir: string): Array<{ uuid: string; pid: number }> {
  const stateDir = join(dir, 'run', 'qemu');
  let files: string[];
  try {
    files = readdirSync(stateDir).filter((f) => f.endsWith('.xml'));
  } catch {
    return [];
  }
  const guests: Array<{ uuid: string; pid: number }> = [];
  for (const file of files) {
    let xml: string;
    try {
      xml = readFileSync(join(stateDir, file), 'utf8');
    } catch {
      continue; // removed meanwhile: that domain stopped
    }
    const pid = Number(/<domstatus\b[^>]*\bpid='(\d+)'/.exec(xml)?.[1]);
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)?.[1];
    if (uuid && isQemuOf(pid, uuid)) guests.push({ uuid, pid });
  }
  return guests;
}
