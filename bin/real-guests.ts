import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../cluster.config.js';
import type { Database } from '../models/database.js';
import type { RealGuests } from '../actors/host/domain-spec.js';
import { consoleLogOf, newSerialPort, prepareGuest, removeGuest, type GuestSettings } from '../drivers/qemu/guest-files.js';
import { virtTypeFor } from '../drivers/qemu/virt-type.js';
import { readRow } from '../models/typed.js';

/**
 * The guests of a real host on this node: each made from its image's bytes in the image store (a plain copy), its
 * clean-shutdown timeout from the image's os_shutdown_timeout property, as Nova honours it.
 */
export function realGuestsOf(config: Config, db: Database, host: string): RealGuests {
  const settings: GuestSettings = {
    instancesDir: resolve(config.stateDir, 'instances', host),
    virtType: virtTypeFor(config.libvirt.virtType),
    listen: config.qemu.consoleListen,
    serialPorts: { min: config.qemu.serialPortMin, max: config.qemu.serialPortMax },
  };
  return {
    prepare: async (i) => {
      const imagePath = join(config.images.storeDir, i.image_ref);
      if (!existsSync(imagePath)) throw new Error(`Image ${i.image_ref} has no data in this node's image store`);
      const property = await readRow(db.models.ImageProperty, { where: { image_id: i.image_ref, name: 'os_shutdown_timeout' } });
      const timeout = Number(property?.value);
      return prepareGuest(settings, {
        uuid: i.uuid,
        memoryMb: i.memory_mb,
        vcpus: i.vcpus,
        imagePath,
        ...(Number.isInteger(timeout) && timeout >= 0 ? { shutdownTimeoutS: timeout } : {}),
      });
    },
    newSerialPort: (uuid) => newSerialPort(settings, uuid),
    consoleLog: (uuid) => consoleLogOf(settings, uuid),
    remove: (uuid) => removeGuest(settings, uuid),
  };
}
