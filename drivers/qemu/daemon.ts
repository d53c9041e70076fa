import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { libvirtdConf, qemuConf, virtlogdConf, withQemuUser, type QemuDaemonSettings } from './daemon-config.js';
import { libvirtdReady } from './daemon-ping.js';
import { NAMESPACE_SCRIPT } from './namespace-script.js';
import { exists, isQemuOf, qemuGuests, runningWith, signal } from './processes.js';

export interface QemuHypervisorOptions extends Partial<QemuDaemonSettings> {
  /**
   * A folder shown to the daemon as /var/cache/libvirt/qemu. Several daemons may share one, so that only the first
   * pays QEMU's capability probe (about 8 s here); default: inside the state directory.
   */
  readonly capabilityCacheDir?: string;
  /** How long starting may take, the capability probe included. */
  readonly timeoutMs?: number;
  /**
   * A network namespace (made beforehand) the daemons start in, so that the guests' QEMUs open their taps there; their
   * consoles' TCP servers then listen on its loopback. Its UNIX sockets (the daemon's, QEMU's monitors) reach across.
   */
  readonly netns?: string;
}

export interface QemuHypervisor {
  readonly dir: string;
  /** What clients outside the daemon's namespace connect to. */
  readonly uri: string;
  /**
   * New when the hypervisor starts with no runtime state: first start, after a stop, after the machine rebooted.
   * A libvirtd started again after a crash keeps it, as it re-attaches the guests that kept running.
   */
  readonly bootId: string;
  readonly pids: { readonly libvirtd: number; readonly virtlogd: number };
  /** True when both daemons were found running and nothing was started. */
  readonly reused: boolean;
}

export const DEFAULT_SETTINGS: QemuDaemonSettings = { listenAddress: '127.0.0.1', consoleLogMaxBytes: 2 * 1024 * 1024, consoleLogBackups: 3 };

// sun_path holds 108 bytes with the terminating NUL; the admin socket is the longest name libvirtd makes there.
const SOCKET_PATH_MAX = 107;
const LONGEST_SOCKET = 'libvirt-admin-sock';

const socketOf = (dir: string) => join(dir, 'libvirt-sock');
export const qemuUriOf = (dir: string) => `qemu+unix:///system?socket=${socketOf(dir)}`;

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

const pidOf = (dir: string, daemon: 'libvirtd' | 'virtlogd') => Number(read(join(dir, `${daemon}.pid`)));
const running = (dir: string, daemon: 'libvirtd' | 'virtlogd') => runningWith(pidOf(dir, daemon), dir);
const machineBootId = () => read('/proc/sys/kernel/random/boot_id');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A private QEMU hypervisor in `dir`: virtlogd and libvirtd found running, or started (whichever is missing) in a
 * mount namespace that shows them folders of `dir` as libvirt's own, so nothing is written elsewhere. They run
 * detached and outlive the caller. Answers once libvirtd answers clients.
 */
export async function ensureQemuHypervisor(dir: string, options: QemuHypervisorOptions = {}): Promise<QemuHypervisor> {
  dir = resolve(dir);
  if (join(dir, LONGEST_SOCKET).length > SOCKET_PATH_MAX) {
    throw new Error(`the hypervisor socket path ${join(dir, LONGEST_SOCKET)} is longer than ${SOCKET_PATH_MAX} bytes: choose a shorter stateDir`);
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  // Twice at most: a daemon found running may be dying (a kill just sent), and is then started after all.
  for (let attempt = 1; ; attempt++) {
    await Promise.all([settle(dir, 'virtlogd'), settle(dir, 'libvirtd')]);
    const startLogd = !running(dir, 'virtlogd');
    const startLibvirtd = !running(dir, 'libvirtd');
    if (startLogd && startLibvirtd) prepare(dir, options);
    if (startLogd || startLibvirtd) await launch(dir, options, startLogd, startLibvirtd, deadline);
    const answer = await answered(dir, deadline);
    if (answer === 'ready') {
      return {
        dir,
        uri: qemuUriOf(dir),
        bootId: read(join(dir, 'boot-id')),
        pids: { libvirtd: pidOf(dir, 'libvirtd'), virtlogd: pidOf(dir, 'virtlogd') },
        reused: !startLogd && !startLibvirtd,
      };
    }
    if (answer === 'died' && !startLibvirtd && attempt === 1) continue;
    if (startLibvirtd) signal(pidOf(dir, 'libvirtd'), 'SIGKILL');
    throw new Error(
      answer === 'died'
        ? `libvirtd in ${dir} exited while starting (see ${join(dir, 'libvirtd.log')}, ${join(dir, 'libvirtd.out')})`
        : `libvirtd in ${dir} did not answer within ${timeoutMs} ms (see ${join(dir, 'libvirtd.log')}, ${join(dir, 'libvirtd.out')})`,
    );
  }
}

/** Waits until libvirtd answers clients, exits, or the deadline passes. */
async function answered(dir: string, deadline: number): Promise<'ready' | 'died' | 'timeout'> {
  const died = new AbortController();
  const watch = setInterval(() => running(dir, 'libvirtd') || died.abort(), 100);
  try {
    for (;;) {
      if (await libvirtdReady(socketOf(dir), Math.max(1, deadline - Date.now()), died.signal)) return 'ready';
      if (died.signal.aborted || !running(dir, 'libvirtd')) return 'died';
      if (Date.now() > deadline) return 'timeout';
      await sleep(50); // the socket is not there yet, or a previous daemon's stale socket refused
    }
  } finally {
    clearInterval(watch);
  }
}

/**
 * Waits (briefly) while the recorded daemon exists with an empty command line: it is exiting (its memory is gone
 * before its files are closed, and a new daemon would find the pid file still locked) or it is being exec'd.
 */
async function settle(dir: string, daemon: 'libvirtd' | 'virtlogd') {
  const pid = pidOf(dir, daemon);
  const until = Date.now() + 2_000;
  while (exists(pid) && !runningWith(pid, dir) && Date.now() < until) await sleep(10);
}

/**
 * Before a start with neither daemon running: the folders, a host UUID kept for the directory's life, and, when the
 * runtime state is not this machine boot's (or a stop cleared it), an empty runtime folder and a new boot id.
 */
function prepare(dir: string, options: QemuHypervisorOptions) {
  for (const sub of ['etc', 'run', 'lib', 'cache/qemu', 'log', 'ns']) mkdirSync(join(dir, sub), { recursive: true });
  if (options.capabilityCacheDir) mkdirSync(options.capabilityCacheDir, { recursive: true });
  if (!read(join(dir, 'host-uuid'))) writeFileSync(join(dir, 'host-uuid'), randomUUID());
  if (!read(join(dir, 'boot-id')) || read(join(dir, 'machine-boot-id')) !== machineBootId()) {
    clear(join(dir, 'run'));
    writeFileSync(join(dir, 'machine-boot-id'), machineBootId());
    writeFileSync(join(dir, 'boot-id'), randomUUID());
  }
}

const clear = (folder: string) => {
  for (const entry of readdirSync(folder)) rmSync(join(folder, entry), { recursive: true, force: true });
};

async function launch(dir: string, options: QemuHypervisorOptions, startLogd: boolean, startLibvirtd: boolean, deadline: number) {
  const settings: QemuDaemonSettings = {
    listenAddress: options.listenAddress ?? DEFAULT_SETTINGS.listenAddress,
    consoleLogMaxBytes: options.consoleLogMaxBytes ?? DEFAULT_SETTINGS.consoleLogMaxBytes,
    consoleLogBackups: options.consoleLogBackups ?? DEFAULT_SETTINGS.consoleLogBackups,
  };
  writeFileSync(join(dir, 'etc', 'libvirtd.conf'), libvirtdConf(dir, read(join(dir, 'host-uuid'))));
  writeFileSync(join(dir, 'etc', 'qemu.conf'), qemuConf(settings));
  writeFileSync(join(dir, 'etc', 'virtlogd.conf'), virtlogdConf(dir, settings));
  const users = withQemuUser(readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8'));
  writeFileSync(join(dir, 'ns', 'passwd'), users.passwd);
  writeFileSync(join(dir, 'ns', 'group'), users.group);
  writeFileSync(join(dir, 'ns', 'start.sh'), NAMESPACE_SCRIPT);
  const cache = resolve(options.capabilityCacheDir ?? join(dir, 'cache', 'qemu'));
  const log = openSync(join(dir, 'ns', 'start.log'), 'w');
  const unshare = [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'bash',
    join(dir, 'ns', 'start.sh'),
    dir,
    cache,
    startLogd ? '1' : '0',
    startLibvirtd ? '1' : '0',
  ];
  // `ip netns exec` execs its command in place: the pid (and process group) stay the script's.
  const argv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...unshare] : unshare;
  const script = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);
  let timer: NodeJS.Timeout | undefined;
  const code = await new Promise<number | string>((done) => {
    timer = setTimeout(
      () => {
        signal(-script.pid!, 'SIGKILL');
        done('timed out');
      },
      Math.max(1, deadline - Date.now()),
    );
    script.on('exit', (c, s) => done(c ?? s ?? 'unknown'));
    script.on('error', (e) => done(e.message));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`setting up the hypervisor's namespace in ${dir} failed (${code}): ${read(join(dir, 'ns', 'start.log'))}`);
  // The daemons write their pid files themselves once they hold them; one that exits before is a failed start.
  const started = (['virtlogd', 'libvirtd'] as const).filter((d) => (d === 'virtlogd' ? startLogd : startLibvirtd));
  while (!started.every((d) => running(dir, d))) {
    const died = started.find((d) => !exists(Number(read(join(dir, 'ns', `${d}.launched`)))));
    if (died || Date.now() > deadline) {
      for (const d of started) signal(Number(read(join(dir, 'ns', `${d}.launched`))), 'SIGKILL');
      throw new Error(
        `${died ?? 'the daemons'} in ${dir} did not start (see ${join(dir, `${died ?? 'libvirtd'}.out`)}, ${join(dir, `${died ?? 'libvirtd'}.log`)})`,
      );
    }
    await sleep(25);
  }
}

/**
 * Stops the hypervisor: libvirtd, then its guests (QEMU outlives libvirtd, so they are found from its runtime
 * state), then virtlogd, each with TERM and, at its share of the deadline, KILL. The runtime state is cleared
 * once all are gone, so the next start is a new boot. Persistent domain definitions stay.
 */
export async function stopQemuHypervisor(dir: string, timeoutMs = 10_000): Promise<void> {
  dir = resolve(dir);
  const share = Math.max(100, Math.floor(timeoutMs / 3));
  const before = qemuGuests(dir);
  await terminate([pidOf(dir, 'libvirtd')], (pid) => runningWith(pid, dir), share);
  // Read again: a guest started while libvirtd was stopping is in its state by now.
  const guests = new Map([...before, ...qemuGuests(dir)].map((g) => [g.pid, g.uuid]));
  await terminate([...guests.keys()], (pid) => isQemuOf(pid, guests.get(pid)!), share);
  await terminate([pidOf(dir, 'virtlogd')], (pid) => runningWith(pid, dir), share);
  if (!running(dir, 'libvirtd') && !running(dir, 'virtlogd') && qemuGuests(dir).length === 0 && existsSync(join(dir, 'run'))) {
    clear(join(dir, 'run'));
    rmSync(join(dir, 'boot-id'), { force: true });
  }
}

// Targets are recognised by `ours` once; then they are waited for until they no longer exist, since a process
// that is exiting has an empty command line before it has closed its files (sockets, pid file locks).
async function terminate(pids: number[], ours: (pid: number) => boolean, timeoutMs: number) {
  const targets = pids.filter(ours);
  for (const pid of targets) signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (targets.some(exists) && Date.now() < deadline) await sleep(25);
  for (const pid of targets.filter(exists)) signal(pid, 'SIGKILL');
  const killed = Date.now() + 2_000;
  while (targets.some(exists) && Date.now() < killed) await sleep(10);
}
