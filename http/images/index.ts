import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { TokenService } from '../identity/index.js';
import { ImageStore } from './image-store.js';
import { ImageRepository } from './repository.js';
import type { ImageServices } from './services.js';
import { TINY_SIZE, tinyImage } from './tiny-image.js';

export { imageApp } from './app.js';
export { imageService } from './boot-images.js';
export type { ImageServices } from './services.js';

/** stratus-tiny's fixed id, so every node and every restart knows it. */
export const TINY_IMAGE_ID = '5c7a1f3e-0000-4000-8000-000000000001';

export async function createImages(options: { models: Models; tokens: TokenService; clock: Clock; storeDir: string }, logger: Logger) {
  const store = new ImageStore(options.storeDir);
  const stray = await store.open();
  if (stray) logger.warn({ stray }, 'removed partial image files left by an interrupted upload');
  const services: ImageServices & { publicUrl: () => string; url: string } = {
    repo: new ImageRepository(options.models), store, tokens: options.tokens, clock: options.clock,
    url: '', publicUrl: () => services.url,
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
      id: TINY_IMAGE_ID, name: 'stratus-tiny', owner, status: 'active', visibility: 'public', protected: false, os_hidden: false,
      disk_format: 'raw', container_format: 'bare', size: stored.size, virtual_size: stored.size, checksum: stored.md5,
      os_hash_algo: 'sha512', os_hash_value: stored.sha512, min_disk: 1, min_ram: 16, created_at: now, updated_at: now,
    },
    properties: { hw_firmware_type: 'bios', os_distro: 'stratus-tiny', description: 'Boots, prints STRATUS-TINY on COM1 and the screen, then idles' },
    tags: ['stratus'],
  });
  logger.info({ image: TINY_IMAGE_ID }, 'registered the stratus-tiny image');
  return true;
}
