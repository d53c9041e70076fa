import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { TokenService } from '../identity/index.js';
import { join } from 'node:path';
import { ImageStore } from './image-store.js';
import { ImageImports } from './image-import.js';
import { seedMetadefs } from './metadefs/seed.js';
import { ImageRepository } from './repository.js';
import type { ImageServices, UploadLimits } from './services.js';
import { recoverUploads, watchUploads } from './upload-recovery.js';
import { TINY_SIZE, tinyImage } from './tiny-image.js';

export { imageApp } from './app.js';
export { imageService } from './boot-images.js';
export type { ImageServices } from './services.js';

/** stratus-tiny's fixed id, so every node and every restart knows it. */
export const TINY_IMAGE_ID = '5c7a1f3e-0000-4000-8000-000000000001';

export interface ImagesOptions {
  readonly models: Models;
  readonly tokens: TokenService;
  readonly clock: Clock;
  readonly storeDir: string;
  readonly nodeId?: string;
  /** An upload whose partial file is untouched this long is dead. */
  readonly uploadStaleMs?: number;
  readonly limits?: Partial<UploadLimits>;
}

export async function createImages(options: ImagesOptions, logger: Logger) {
  const store = new ImageStore(options.storeDir, { nodeId: options.nodeId, staleMs: options.uploadStaleMs });
  const swept = await store.open();
  const repo = new ImageRepository(options.models);
  // Uploads this node was doing when it stopped, and others' that died, are cleared before serving.
  await recoverUploads(repo, store, options.clock, logger, swept);
  const watch = watchUploads(repo, store, options.clock, logger);
  const limits = {
    sizeCapBytes: options.limits?.sizeCapBytes ?? 1_099_511_627_776,
    userStorageQuotaBytes: options.limits?.userStorageQuotaBytes ?? 0,
  };
  // Staged data (PUT /stage) waits in a store of its own beside the images, until its import copies it over.
  const staging = new ImageStore(join(options.storeDir, 'staging'), { nodeId: options.nodeId, staleMs: options.uploadStaleMs });
  const stagedSwept = await staging.open();
  const imports = new ImageImports(repo, store, staging, options.clock, options.nodeId ?? store.nodeId, limits, logger);
  await imports.recover(stagedSwept);
  // The metadata definitions Glance ships, on the first start; a node that loses the race to seed them finds them seeded.
  await seedMetadefs(options.models, options.clock, 'admin', logger).catch(async (error) => {
    if ((await options.models.MetadefResourceType.count()) === 0) throw error;
  });
  const services: ImageServices & { publicUrl: () => string; url: string; stop(): void } = {
    repo,
    store,
    imports,
    tokens: options.tokens,
    clock: options.clock,
    limits,
    url: '',
    publicUrl: () => services.url,
    stop: () => watch.stop(),
  };
  return services;
}

/** Registers stratus-tiny, public, on the first start (and again only if it was deleted). */
export async function registerTinyImage(s: ImageServices, owner: string, logger: Logger): Promise<boolean> {
  if (await s.repo.get(TINY_IMAGE_ID)) return false;
  const now = new Date(s.clock.now());
  const stored = await s.store.write(TINY_IMAGE_ID, Readable.from([tinyImage()]), { size: TINY_SIZE });
  await s.repo.save({
    row: {
      id: TINY_IMAGE_ID,
      name: 'stratus-tiny',
      owner,
      status: 'active',
      visibility: 'public',
      protected: false,
      os_hidden: false,
      disk_format: 'raw',
      container_format: 'bare',
      size: stored.size,
      virtual_size: stored.size,
      checksum: stored.md5,
      os_hash_algo: 'sha512',
      os_hash_value: stored.sha512,
      min_disk: 1,
      min_ram: 16,
      created_at: now,
      updated_at: now,
    },
    properties: {
      hw_firmware_type: 'bios',
      os_distro: 'stratus-tiny',
      description: 'Boots, prints STRATUS-TINY on COM1 and the screen, then idles',
      // It has no ACPI: a clean shutdown would only wait out Nova's 60 s before the guest is destroyed.
      os_shutdown_timeout: '3',
    },
    tags: ['stratus'],
  });
  logger.info({ image: TINY_IMAGE_ID }, 'registered the stratus-tiny image');
  return true;
}
