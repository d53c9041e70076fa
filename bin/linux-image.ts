import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import type { ImageServices } from '../http/images/index.js';
import { ensureLinuxGuest, type LinuxGuestImage } from '../drivers/qemu/linux-guest/build.js';
import { qemuImg } from '../drivers/qemu/qemu-img.js';
import { LINUX_BANNER } from '../drivers/qemu/linux-guest/guest-init.js';
import { probeVirtType } from '../drivers/qemu/virt-probe.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';

export const LINUX_IMAGE_NAME = 'stratus-linux';

/** The image's id, the same on every node for the same inputs: a rebuild is a new image (image data is immutable). */
export function linuxImageId(inputs: string): string {
  const h = createHash('sha256').update(`stratus-linux:${inputs}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Builds stratus-linux (once per machine and set of inputs) and registers it, public, beside stratus-tiny; an earlier
 * build's image is hidden (os_hidden), never changed or deleted, so servers booted from it keep their image_ref.
 * Without Debian's archive the start carries on without it, and says so. Answers the image's id, if any.
 */
export async function registerLinuxImage(config: Config, s: ImageServices, owner: string, logger: Logger): Promise<string | undefined> {
  const built = await buildLinuxImage(config, logger);
  return built && registerBuiltImage(s, owner, built, logger);
}

/** The machine's stratus-linux build, made if need be; undefined (and said so) when Debian's archive is out of reach. */
async function buildLinuxImage(config: Config, logger: Logger): Promise<LinuxGuestImage | undefined> {
  try {
    return await ensureLinuxGuest({
      cacheDir: config.qemu.linuxImageCacheDir,
      convertToQcow2: async (raw, qcow2) => {
        await qemuImg(['convert', '-c', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
      },
    });
  } catch (error) {
    logger.warn({ err: error }, 'stratus-linux could not be built (is Debian’s archive reachable?); starting without it');
    return undefined;
  }
}

/**
 * The domain type of real guests: `kvm` or `qemu` as configured, and for `auto` the verdict of a probe boot of
 * stratus-linux under KVM (kept per machine and kernel); TCG when there is no /dev/kvm or no image to probe with.
 */
export async function resolveVirtType(config: Config, logger: Logger): Promise<'kvm' | 'qemu'> {
  if (config.libvirt.virtType !== 'auto' || !existsSync('/dev/kvm')) return virtTypeFor(config.libvirt.virtType);
  const built = await buildLinuxImage(config, logger);
  if (!built) return 'qemu';
  const verdict = await probeVirtType({ disk: built.path, banner: LINUX_BANNER, cacheFile: join(dirname(built.path), 'virt-type') });
  logger.info({ virtType: verdict, kernel: built.kernelVersion }, 'virtType auto: a probe boot of stratus-linux decided');
  return verdict;
}

/** Registers a build as the current stratus-linux (see registerLinuxImage); answers its id. */
export async function registerBuiltImage(s: ImageServices, owner: string, built: LinuxGuestImage, logger: Logger): Promise<string> {
  const id = linuxImageId(built.inputs);
  if (!(await s.repo.get(id))) {
    const now = new Date(s.clock.now());
    const size = (await stat(built.path)).size;
    const stored = await s.store.write(id, createReadStream(built.path), { size });
    const virtualSize = 32 * 1024 * 1024;
    await s.repo.save({
      row: {
        id,
        name: LINUX_IMAGE_NAME,
        owner,
        status: 'active',
        visibility: 'public',
        protected: false,
        os_hidden: false,
        disk_format: 'qcow2',
        container_format: 'bare',
        size: stored.size,
        virtual_size: virtualSize,
        checksum: stored.md5,
        os_hash_algo: 'sha512',
        os_hash_value: stored.sha512,
        min_disk: 1,
        min_ram: 128,
        created_at: now,
        updated_at: now,
      },
      properties: {
        hw_firmware_type: 'bios',
        os_type: 'linux',
        os_distro: 'stratus-linux',
        os_version: built.kernelVersion,
        stratus_linux_inputs: built.inputs,
        description: 'Debian’s cloud kernel and busybox: reads its config drive, prints a banner on ttyS0, logins on ttyS0 and tty1',
      },
      tags: ['stratus'],
    });
    logger.info({ image: id, inputs: built.inputs }, 'registered the stratus-linux image');
  }
  for (const old of await s.repo.all({ name: LINUX_IMAGE_NAME, os_hidden: false })) {
    if (old.row.id !== id && old.row.owner === owner) await s.repo.transition(old.row.id, [old.row.status], { os_hidden: true });
  }
  return id;
}
