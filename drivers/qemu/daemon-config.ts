import { join } from 'node:path';

/** What an operator may choose about a private QEMU hypervisor. */
export interface QemuDaemonSettings {
  /** Where VNC and SPICE servers listen (qemu.conf `vnc_listen`, `spice_listen`). */
  readonly listenAddress: string;
  /** virtlogd rotates a guest's console log when it reaches this size… */
  readonly consoleLogMaxBytes: number;
  /** …keeping this many rotated files (console.log.0, .1, …). */
  readonly consoleLogBackups: number;
}

// libvirt reads a quoted string verbatim up to the next quote: refuse rather than escape.
const quoted = (value: string) => {
  if (/["\n\\]/.test(value)) throw new Error(`a libvirt config value may not contain quotes, backslashes or newlines: ${value}`);
  return `"${value}"`;
};

const count = (what: string, n: number, min: number) => {
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${what} must be a whole number of at least ${min}, not ${n}`);
  return n;
};

/**
 * libvirtd.conf: the sockets in the state directory, so clients outside the daemon's mount namespace reach them;
 * no authentication on them (there is no polkit here, and the socket's folder is the access control); the log in
 * the state directory; a host UUID of its own, since this machine has no DMI UUID and live migration between two
 * daemons refuses a peer with the same one.
 */
export const libvirtdConf = (dir: string, hostUuid: string) =>
  [
    `unix_sock_dir = ${quoted(dir)}`,
    'unix_sock_group = "root"',
    'unix_sock_rw_perms = "0770"',
    'auth_unix_rw = "none"',
    'auth_unix_ro = "none"',
    `host_uuid = ${quoted(hostUuid)}`,
    `log_outputs = ${quoted(`3:file:${join(dir, 'libvirtd.log')}`)}`,
    '',
  ].join('\n');

/**
 * qemu.conf: QEMU runs as root with no relabelling or ownership changes, because no `libvirt-qemu` user owns
 * anything here and files belong to the cloud; its stdout/stderr and serial logs go through virtlogd, which
 * rotates them; no cgroups, which would be written outside the state directory (and there is no systemd to
 * delegate them).
 */
export const qemuConf = (s: QemuDaemonSettings) =>
  [
    'user = "root"',
    'group = "root"',
    'dynamic_ownership = 0',
    'remember_owner = 0',
    'security_driver = "none"',
    'stdio_handler = "logd"',
    'cgroup_controllers = [ ]',
    `vnc_listen = ${quoted(s.listenAddress)}`,
    `spice_listen = ${quoted(s.listenAddress)}`,
    '',
  ].join('\n');

/** virtlogd.conf: its log in the state directory and the console log rotation Nova leaves to virtlogd. */
export const virtlogdConf = (dir: string, s: QemuDaemonSettings) =>
  [
    `log_outputs = ${quoted(`3:file:${join(dir, 'virtlogd.log')}`)}`,
    `max_size = ${count('consoleLogMaxBytes', s.consoleLogMaxBytes, 1)}`,
    `max_backups = ${count('consoleLogBackups', s.consoleLogBackups, 0)}`,
    '',
  ].join('\n');

/**
 * The machine's /etc/passwd and /etc/group plus a `libvirt-qemu` user and group, for the daemon's namespace only:
 * libvirtd resolves its build-time default user before it reads qemu.conf and gives up on the QEMU driver if that
 * user does not exist, even though qemu.conf then says root.
 */
export function withQemuUser(passwd: string, group: string): { passwd: string; group: string } {
  const hasUser = /^libvirt-qemu:/m.test(passwd);
  const hasGroup = /^libvirt-qemu:/m.test(group);
  const used = (text: string, field: number) => new Set(text.split('\n').map((line) => Number(line.split(':')[field])));
  const free = (taken: Set<number>) => {
    let id = 64055; // Debian's usual id for it, when free
    while (taken.has(id)) id++;
    return id;
  };
  const gid = hasGroup ? Number(/^libvirt-qemu:[^:]*:(\d+):/m.exec(group)![1]) : free(used(group, 2));
  const uid = free(used(passwd, 2));
  const line = (text: string, entry: string) => `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${entry}\n`;
  return {
    passwd: hasUser ? passwd : line(passwd, `libvirt-qemu:x:${uid}:${gid}:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin`),
    group: hasGroup ? group : line(group, `libvirt-qemu:x:${gid}:`),
  };
}
