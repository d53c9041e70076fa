import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../cluster.config.js';
import type { Database } from '../models/database.js';
import type { RealGuests } from '../actors/host/domain-spec.js';
import { consoleLogOf, newSerialPort, prepareGuest, removeGuest, type GuestSettings } from '../drivers/qemu/guest-files.js';
import { makeGuestDisks, recordedDisks, type DiskContext } from '../drivers/qemu/guest-disks.js';
import { ImageCache } from '../drivers/qemu/image-cache.js';
import { imageView, type ImageSource } from '../drivers/qemu/image-fetch.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';
import { configDriveFiles, writeConfigDrive } from '../drivers/qemu/config-drive.js';
import { guestMetadataOf } from './guest-metadata.js';
import type { Clock } from '../runtime/clock.js';
import { readRow } from '../models/typed.js';
import { cloudIdOf, namesOf } from '../drivers/dataplane/names.js';
import { dataPlaneEnabled } from './dataplane.js';
import { guestInterfaces } from './guest-nics.js';

/** How long a new guest's domain waits for the data plane to make its taps (it applies a changed plan every pollMs). */
const TAP_WAIT_MS = 60_000;

/** A real host's guests, and the sweep of its image cache. */
export interface RealHostGuests extends RealGuests {
  /** Removes the cached bases no guest of the host has used for qemu.imageCacheMaxAgeS; answers their names. */
  sweepCache(): Promise<string[]>;
  readonly cache: ImageCache;
}

/**
 * The guests of a real host on this node: their disks made from images fetched from the image service into the
 * host's cache (<instances>/_base, as Nova's), their clean-shutdown timeout from the image's os_shutdown_timeout
 * property, as Nova honours it.
 */
export function realGuestsOf(
  config: Config,
  db: Database,
  host: string,
  images: ImageSource,
  clock: Clock,
  virtType: 'kvm' | 'qemu' = virtTypeFor(config.libvirt.virtType),
): RealHostGuests {
  // Without a data plane the guest has no NIC: nothing would carry its traffic. With one, its QEMU runs in the
  // cloud's host namespace (bin/hypervisors.ts), where SPICE cannot start.
  const names = dataPlaneEnabled(config) ? namesOf(cloudIdOf(config.stateDir)) : undefined;
  const settings: GuestSettings = {
    ...(names ? { spice: false } : {}),
    instancesDir: resolve(config.stateDir, 'instances', host),
    virtType,
    listen: config.qemu.consoleListen,
    serialPorts: { min: config.qemu.serialPortMin, max: config.qemu.serialPortMax },
  };
  const cache = new ImageCache(join(settings.instancesDir, '_base'), () => clock.now());
  const opened = cache.open();
  const disks: DiskContext = {
    cache,
    source: images,
    // Read at each use, as the rest of qemu.* is.
    get limits() {
      return { cpuSeconds: config.qemu.qemuImgCpuSeconds, addressSpaceBytes: config.qemu.qemuImgAddressSpaceMb * 1024 * 1024 };
    },
  };
  return {
    cache,
    prepare: async (i) => {
      await opened;
      const property = await readRow(db.models.ImageProperty, { where: { image_id: i.image_ref, name: 'os_shutdown_timeout' } });
      const timeout = Number(property?.value);
      const row = await readRow(db.models.Instance, { where: { uuid: i.uuid } });
      if (!row) throw new Error(`instance ${i.uuid} has no row`);
      const interfaces = names ? await guestInterfaces(db, names, host, i.uuid, TAP_WAIT_MS) : [];
      return prepareGuest(settings, {
        uuid: i.uuid,
        interfaces,
        memoryMb: i.memory_mb,
        vcpus: i.vcpus,
        makeDisks: async (folder) => {
          const made = (
            await makeGuestDisks(folder, disks, {
              image: () => imageView(images, i.image_ref),
              rootGb: row.root_gb,
              ephemeralGb: row.ephemeral_gb,
              swapMb: row.swap,
            })
          ).disks;
          // Nova's configdrive.required_by: asked for at boot, or forced for every guest.
          if (row.config_drive !== 'True' && !config.qemu.forceConfigDrive) return made;
          const drive = join(folder, 'disk.config');
          if (!existsSync(drive)) await writeConfigDrive(drive, configDriveFiles(await guestMetadataOf(db, row, made)));
          return [...made, { path: drive, format: 'raw', device: 'cdrom', target: 'hdd', bus: 'ide', readonly: true }];
        },
        ...(Number.isInteger(timeout) && timeout >= 0 ? { shutdownTimeoutS: timeout } : {}),
      });
    },
    newSerialPort: (uuid) => newSerialPort(settings, uuid),
    consoleLog: (uuid) => consoleLogOf(settings, uuid),
    remove: (uuid) => removeGuest(settings, uuid),
    sweepCache: async () => {
      await opened;
      const inUse = new Set<string>();
      for (const name of await readdir(settings.instancesDir).catch(() => [] as string[])) {
        if (name === '_base') continue;
        for (const base of (await recordedDisks(join(settings.instancesDir, name)))?.bases ?? []) inUse.add(base);
      }
      return cache.prune(inUse, config.qemu.imageCacheMaxAgeS * 1000);
    },
  };
}
