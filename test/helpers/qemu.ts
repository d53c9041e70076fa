import { readdirSync } from 'node:fs';
import { isQemuOf } from '../../drivers/qemu/processes.js';

/** The pid of the live QEMU started for this domain UUID, found by its command line (`-uuid <id>`) in /proc. */
export function qemuPidOf(uuid: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (isQemuOf(Number(entry), uuid)) return Number(entry);
  }
  return undefined;
}
