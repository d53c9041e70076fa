import { readFileSync } from 'node:fs';

/** Whether a process runs; one that has exited but is not yet reaped by its parent (a zombie) counts as gone. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
