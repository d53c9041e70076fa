import type { ExecutionContext } from 'ava';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The multi-process cluster tests and the real-guest suites start several processes each and time leases in real time: two of them at
// once on a 2-core machine would starve each other's leases. Each takes this machine-wide lock for its duration
// (ava runs test files in parallel; `test.serial` orders only the tests of one file).

const LOCK = join(tmpdir(), 'stratus-cluster-tests.lock');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits (bounded) for the lock, holds it until the test ends. A lock left by a process that died is taken over. */
export async function machineLock(t: ExecutionContext, waitMs = 600_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      t.teardown(() => rmSync(LOCK, { force: true }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(LOCK, 'utf8'));
    } catch {
      continue;
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the cluster test lock ${LOCK} is still held by process ${holder}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Run = (t: ExecutionContext) => Promise<void>;
type Register = (title: string, run: Run) => void;

/** A serial test of a multi-process file that holds the machine-wide lock while it runs; skipped unless `enabled`. */
export function lockedSerial(serial: Register, skip: Register, enabled: boolean): Register {
  return (title, run) =>
    enabled
      ? serial(title, async (t) => {
          await machineLock(t);
          await run(t);
        })
      : skip(title, run);
}

/** Takes the lock for a whole file (its `before` hook), answering how to let it go (its `after.always`). */
export async function holdMachineLock(waitMs = 600_000): Promise<() => void> {
  let release = () => {};
  await machineLock({ teardown: (fn: () => void) => (release = fn) } as unknown as ExecutionContext, waitMs);
  return release;
}
