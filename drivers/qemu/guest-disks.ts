import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { GuestDisk } from '../libvirt/domain-xml.js';
import { writeFileDurably } from '../fs/durable-write.js';
import type { ImageCache } from './image-cache.js';
import { downloadImage, type ImageSource, type ImageView } from './image-fetch.js';
import { readQcow2Header } from './qcow2-header.js';
import { createBlank, createOverlay, imageInfo, QemuImgFailed, type DiskFormat, type QemuImgLimits } from './qemu-img.js';

/**
 * The image cannot be used for this server, whatever host tries it (Nova's ImageUnacceptable, InvalidDiskInfo and
 * FlavorDiskSmallerThanImage, which abort a build rather than reschedule it). The message is Nova's wording.
 */
export class ImageUnacceptable extends Error {}

const unacceptable = (id: string, reason: string) => new ImageUnacceptable(`Image ${id} is unacceptable: ${reason}`);

export interface DiskRequest {
  /** The image as the image service describes it, asked only when the disks are not made yet. */
  readonly image: () => Promise<ImageView>;
  readonly rootGb: number;
  readonly ephemeralGb: number;
  /** MiB, as a flavor's swap is. */
  readonly swapMb: number;
}

export interface DiskContext {
  readonly cache: ImageCache;
  readonly source: ImageSource;
  readonly limits: QemuImgLimits;
}

// Where an instance folder records its disks once all are made: a guest made again (its domain was lost) finds them.
const RECORD = 'disks.json';
const Disk = Type.Object({
  path: Type.String(),
  format: Type.Union([Type.Literal('raw'), Type.Literal('qcow2')]),
  device: Type.Union([Type.Literal('disk'), Type.Literal('cdrom')]),
  target: Type.String(),
  bus: Type.Union([Type.Literal('virtio'), Type.Literal('ide')]),
  readonly: Type.Optional(Type.Boolean()),
});
const Recorded = Type.Object({ disks: Type.Array(Disk), bases: Type.Array(Type.String()) });

/** The disks an instance folder holds, with the cached bases under them, once they were all made. */
export async function recordedDisks(folder: string): Promise<{ disks: GuestDisk[]; bases: string[] } | undefined> {
  const text = await readFile(join(folder, RECORD), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed: unknown = JSON.parse(text);
  return Value.Check(Recorded, parsed) ? parsed : undefined;
}

const GiB = 1024 ** 3;
const TARGETS = ['vda', 'vdb', 'vdc', 'vdd'];

/**
 * Makes an instance's disks in its folder, as Nova's libvirt driver with qcow2 images does: the image's data
 * fetched once into the host's cache, checked, and a qcow2 overlay on it as the root disk, grown to the flavor's
 * root_gb; ephemeral (vfat, ext4 for os_type linux) and swap disks as overlays on cached formatted bases. The image is read only as the
 * format the image service names (never probed: CVE-2024-32498), and refused before any guest sees it when it is
 * of another format, names a backing or data file, exceeds qemu-img's limits or is larger than the flavor's disk.
 * Made again after a crash, it starts over: only the final record says the disks are whole.
 */
export async function makeGuestDisks(folder: string, c: DiskContext, r: DiskRequest): Promise<{ disks: GuestDisk[]; bases: string[] }> {
  const recorded = await recordedDisks(folder);
  if (recorded && recorded.disks.every((d) => existsSync(d.path))) return recorded;
  const image = await r.image();
  if (image.status !== 'active') throw new ImageUnacceptable(`Image ${image.id} is not active.`);
  const declared = image.disk_format;
  if (declared !== 'raw' && declared !== 'qcow2' && declared !== 'iso')
    throw unacceptable(image.id, `disk_format ${declared ?? 'none'} is not supported by the libvirt driver here (raw, qcow2, iso)`);
  // An ISO is read as the raw bytes it is.
  const format: DiskFormat = declared === 'qcow2' ? 'qcow2' : 'raw';
  const base = await c.cache.image(image.id, (dest) => downloadImage(c.source, image, dest));
  await checkImage(base, format, image, c.limits);
  const info = await imageInfo(base, format, c.limits).catch(invalidDiskInfo(base));
  const virtualSize = info['virtual-size'];
  const rootBytes = r.rootGb * GiB;
  if (rootBytes > 0 && virtualSize > rootBytes)
    throw new ImageUnacceptable(`Flavor's disk is too small for requested image. Flavor disk is ${rootBytes} bytes, image is ${virtualSize} bytes.`);
  const disks: GuestDisk[] = [];
  const bases = [base];
  const targets = [...TARGETS];
  if (declared === 'iso') {
    // Booted from the ISO on an IDE cdrom (read-only, the cached base itself); the root disk a blank one.
    disks.push({ path: base, format: 'raw', device: 'cdrom', target: 'hda', bus: 'ide', readonly: true });
    if (rootBytes > 0) {
      await createBlank(join(folder, 'disk'), 'qcow2', rootBytes, c.limits);
      disks.push({ path: join(folder, 'disk'), format: 'qcow2', device: 'disk', target: targets.shift()!, bus: 'virtio' });
    }
  } else {
    await createOverlay(join(folder, 'disk'), base, format, Math.max(rootBytes, virtualSize), c.limits);
    disks.push({ path: join(folder, 'disk'), format: 'qcow2', device: 'disk', target: targets.shift()!, bus: 'virtio' });
  }
  if (r.ephemeralGb > 0) {
    const ephemeral = await c.cache.ephemeral(r.ephemeralGb, image.os_type === 'linux' ? 'ext4' : 'vfat');
    bases.push(ephemeral);
    await createOverlay(join(folder, 'disk.local'), ephemeral, 'raw', r.ephemeralGb * GiB, c.limits);
    disks.push({ path: join(folder, 'disk.local'), format: 'qcow2', device: 'disk', target: targets.shift()!, bus: 'virtio' });
  }
  if (r.swapMb > 0) {
    const swap = await c.cache.swap(r.swapMb);
    bases.push(swap);
    await createOverlay(join(folder, 'disk.swap'), swap, 'raw', r.swapMb * 1024 ** 2, c.limits);
    disks.push({ path: join(folder, 'disk.swap'), format: 'qcow2', device: 'disk', target: targets.shift()!, bus: 'virtio' });
  }
  writeFileDurably(join(folder, RECORD), JSON.stringify({ disks, bases }), { mode: 0o644 });
  return { disks, bases };
}

/** A qcow2 that would make QEMU open another host file is refused from its header, before qemu-img reads it. */
async function checkImage(base: string, format: DiskFormat, image: ImageView, limits: QemuImgLimits): Promise<void> {
  if (format !== 'qcow2') return;
  const header = await readQcow2Header(base);
  if (!header) throw unacceptable(image.id, 'fmt=qcow2 but the data is not qcow2');
  if (header.backingFile !== undefined) throw unacceptable(image.id, `fmt=qcow2 backed by: ${header.backingFile}`);
  if (header.externalDataFile) throw unacceptable(image.id, 'fmt=qcow2 has an external data file');
  // What qemu-img itself reads, should the header parse above ever miss a way to name another file.
  const info = await imageInfo(base, format, limits).catch(invalidDiskInfo(base));
  if (info['backing-filename'] !== undefined) throw unacceptable(image.id, `fmt=qcow2 backed by: ${info['backing-filename']}`);
  if (info['format-specific']?.data?.['data-file'] !== undefined) throw unacceptable(image.id, 'fmt=qcow2 has an external data file');
}

// Nova's qemu_img_info failure (InvalidDiskInfo); one past qemu-img's limits is said so first. The base is named
// within the host's folder: the fault is shown to the user, and kept to 255 characters.
const invalidDiskInfo = (path: string) => (error: unknown) => {
  if (!(error instanceof QemuImgFailed)) throw error;
  const name = `_base/${basename(path)}`;
  const what = error.message.split(path).join(name);
  throw new ImageUnacceptable(
    `Disk info file is invalid: qemu-img failed to execute on ${name} : ${error.limited ? `over the qemu-img limits: ${what}` : what}`,
  );
};
