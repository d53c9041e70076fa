import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEEPER_SCRIPT } from './keeper-script.js';

export interface SimulatedHypervisor {
  readonly dir: string;
  /** The libvirt URI clients connect to: the test driver behind this hypervisor's private daemon. */
  readonly uri: string;
  /** New each time the hypervisor starts; a changed one tells a host that its guests are gone. */
  readonly bootId: string;
  /** The keeper's pid, the leader of the hypervisor's process group. */
  readonly pid: number;
  readonly reused: boolean;
}

// sun_path holds 108 bytes with the terminating NUL.
const SOCKET_PATH_MAX = 107;

const socketOf = (dir: string) => join(dir, 'libvirt-sock');
export const uriOf = (dir: string) => `test+unix:///default?socket=${socketOf(dir)}`;

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

/** True when pid is a live process whose command line names this hypervisor's directory (pids get reused). */
function ours(pid: number, dir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

function exited(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function pids(dir: string) {
  const [daemon, keeper] = read(join(dir, 'ready')).split(' ').map(Number);
  return { leader: Number(read(join(dir, 'keeper.pid'))), daemon, keeper };
}

function alive(dir: string): boolean {
  const p = pids(dir);
  return ours(p.leader, dir) && ours(p.daemon, dir) && ours(p.keeper, dir) && existsSync(socketOf(dir));
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
};

/**
 * A simulated hypervisor in `dir`: the running one if it is whole, else a new one, started
 * detached so that it outlives the Stratus process that asked for it.
 */
export async function ensureSimulatedHypervisor(dir: string, timeoutMs = 10_000): Promise<SimulatedHypervisor> {
  if (socketOf(dir).length > SOCKET_PATH_MAX) {
    throw new Error(`the hypervisor socket path ${socketOf(dir)} is longer than ${SOCKET_PATH_MAX} bytes: choose a shorter stateDir`);
  }
  mkdirSync(dir, { recursive: true });
  if (alive(dir)) return { dir, uri: uriOf(dir), bootId: read(join(dir, 'boot-id')), pid: pids(dir).leader, reused: true };
  await stopSimulatedHypervisor(dir, timeoutMs);
  writeFileSync(join(dir, 'keeper.sh'), KEEPER_SCRIPT);
  const child = spawn('bash', [join(dir, 'keeper.sh'), dir], { detached: true, stdio: 'ignore', cwd: dir });
  child.unref();
  writeFileSync(join(dir, 'keeper.pid'), String(child.pid));
  const deadline = Date.now() + timeoutMs;
  while (!alive(dir)) {
    if (Date.now() > deadline) {
      await stopSimulatedHypervisor(dir, 1_000);
      throw new Error(`simulated hypervisor in ${dir} did not start within ${timeoutMs} ms (see ${join(dir, 'libvirtd.log')})`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { dir, uri: uriOf(dir), bootId: read(join(dir, 'boot-id')), pid: child.pid!, reused: false };
}

/** Stops the hypervisor's whole process group: TERM, then KILL what is left at the deadline. */
export async function stopSimulatedHypervisor(dir: string, timeoutMs = 10_000): Promise<void> {
  const p = pids(dir);
  const members = [p.leader, p.daemon, p.keeper].filter((pid) => ours(pid, dir));
  if (!members.length) return;
  if (ours(p.leader, dir)) kill(-p.leader, 'SIGTERM');
  for (const pid of members) kill(pid, 'SIGTERM');
  const deadline = Date.now() + Math.max(0, timeoutMs - 500);
  // A process on its way out loses its command line before it exits: wait for the exit itself (or a zombie, which holds
  // nothing), so a caller never sees one of them still running after stop returned.
  while (members.some((pid) => !exited(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  for (const pid of members) if (ours(pid, dir)) kill(pid, 'SIGKILL');
}
