import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

// The private servers some tests run (PostgreSQL, Redis): started until they say they are ready, stopped by a signal.

/** Spawns a server and resolves once its output contains `ready`; rejects if it exits first or takes over `timeoutMs`. */
export async function startServerProcess(
  name: string,
  [file, args]: readonly [string, readonly string[]],
  options: SpawnOptions,
  ready: string,
  timeoutMs: number,
): Promise<ChildProcess> {
  const proc = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(ready)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}:\n${output}`));
      });
    });
  } finally {
    // Keep draining its output so a chatty server never blocks on a full pipe.
    proc.stdout.resume();
    proc.stderr.resume();
  }
  return proc;
}

/** Signals a server (if it still runs) and waits for it to exit. */
export async function stopServerProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill(signal);
  await exited;
}
