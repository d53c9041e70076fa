import { copyFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainSpec, GuestDisk, GuestInterface } from '../libvirt/domain-xml.js';
import { writeFileDurably } from '../fs/durable-write.js';
import { diskCacheFor } from './disk-cache.js';
import { pickSerialPort, type PortRange } from './serial-ports.js';
import { vncPassword } from './vnc-password.js';

// A real guest's folder, <instances>/<uuid>/ (Nova's instances_path): its disk, its console log (written by the
// private virtlogd) and the serial console port it was given, so that no two guests of the host share one.

export interface GuestSettings {
  /** Absolute: the daemon and QEMU open these paths from their own working directories. */
  readonly instancesDir: string;
  readonly virtType: 'kvm' | 'qemu';
  /** Where the guest's consoles listen (VNC, SPICE and the serial console's TCP server). */
  readonly listen: string;
  readonly serialPorts: PortRange;
  /** False when the guests' QEMUs run in a network namespace with only a loopback address (see GraphicalConsoles.spice). */
  readonly spice?: boolean;
}

export interface NewGuest {
  readonly uuid: string;
  readonly memoryMb: number;
  readonly vcpus: number;
  /**
   * How its disks are made in its folder (guest-disks.ts: overlays on the host's image cache); without it, the file
   * at imagePath is copied as its one raw disk (what the host benchmark's raw baseline boots).
   */
  readonly makeDisks?: (folder: string) => Promise<readonly GuestDisk[]>;
  readonly imagePath?: string;
  readonly shutdownTimeoutS?: number;
  readonly interfaces?: readonly GuestInterface[];
}

const folderOf = (s: GuestSettings, uuid: string) => join(s.instancesDir, uuid);
export const consoleLogOf = (s: GuestSettings, uuid: string) => join(folderOf(s, uuid), 'console.log');

/** The ports given to this host's guests, running or not (QEMU binds a port only while its guest runs). */
async function assignedPorts(s: GuestSettings, except: string): Promise<Set<number>> {
  const ports = new Set<number>();
  const folders = await readdir(s.instancesDir).catch(() => [] as string[]);
  for (const uuid of folders) {
    if (uuid === except) continue;
    const port = Number(await readFile(join(s.instancesDir, uuid, 'serial-port'), 'utf8').catch(() => ''));
    if (port > 0) ports.add(port);
  }
  return ports;
}

/**
 * Makes what a new guest needs and answers its domain: its disks, a serial port of its own and a fresh VNC
 * password. Run again for the same guest (its domain was never defined), it keeps the disks and port made the first time.
 */
export async function prepareGuest(s: GuestSettings, g: NewGuest): Promise<DomainSpec> {
  const folder = folderOf(s, g.uuid);
  await mkdir(folder, { recursive: true });
  const disk = join(folder, 'disk');
  const disks = g.makeDisks ? await g.makeDisks(folder) : undefined;
  if (!disks && !existsSync(disk)) {
    if (!g.imagePath) throw new Error(`guest ${g.uuid} has neither disks nor an image to copy`);
    // Through a temporary name, so a crash mid-copy leaves no half disk.
    await copyFile(g.imagePath, `${disk}.part`);
    await rename(`${disk}.part`, disk);
  }
  const portFile = join(folder, 'serial-port');
  let port = Number(await readFile(portFile, 'utf8').catch(() => ''));
  if (!(port > 0)) {
    port = await pickSerialPort(s.listen, await assignedPorts(s, g.uuid), s.serialPorts);
    writeFileDurably(portFile, String(port), { mode: 0o644 });
  }
  return {
    uuid: g.uuid,
    memoryMb: g.memoryMb,
    vcpus: g.vcpus,
    type: s.virtType,
    ...(disks ? { disks } : { diskPath: disk }),
    diskCache: diskCacheFor(folder),
    serial: { host: s.listen, port, logPath: consoleLogOf(s, g.uuid) },
    graphics: { listen: s.listen, vncPassword: vncPassword(), ...(s.spice === false ? { spice: false } : {}) },
    ...(g.shutdownTimeoutS !== undefined ? { shutdownTimeoutS: g.shutdownTimeoutS } : {}),
    ...(g.interfaces?.length ? { interfaces: g.interfaces } : {}),
  };
}

/**
 * A new serial port for an existing guest whose own was taken while it was off (by a guest of another daemon on this
 * machine, say): free now and held by no other guest of this host. Nova too picks one at each power-on.
 */
export async function newSerialPort(s: GuestSettings, uuid: string): Promise<number> {
  const port = await pickSerialPort(s.listen, await assignedPorts(s, uuid), s.serialPorts);
  writeFileDurably(join(folderOf(s, uuid), 'serial-port'), String(port), { mode: 0o644 });
  return port;
}

/** Removes a deleted guest's folder: its disk, console logs and port. */
export async function removeGuest(s: GuestSettings, uuid: string): Promise<void> {
  await rm(folderOf(s, uuid), { recursive: true, force: true });
}
