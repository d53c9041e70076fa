import { Op } from 'sequelize';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { ImageStore } from './image-store.js';
import type { ImageRepository } from './repository.js';
import { readRows } from '../../models/typed.js';

/**
 * Puts images whose upload died (its process killed, its node gone) back to `queued`, as Glance
 * leaves an image after a failed upload, so they can be uploaded again. An image is left alone
 * while any node's upload of it is live (see ImageStore); one whose partial file a dead upload
 * left is reset at once, one with no partial file at all (killed before it wrote one) once it has
 * been `saving` for the stale time.
 */
export async function recoverUploads(
  repo: ImageRepository,
  store: ImageStore,
  clock: Clock,
  logger: Logger,
  swept: string[] = [],
): Promise<string[]> {
  const dead = new Set([...swept, ...(await store.sweep())]);
  const saving = await readRows(repo.models.Image, { where: { status: 'saving' }, attributes: ['id', 'updated_at'] });
  const reset: string[] = [];
  for (const image of saving) {
    if (await store.uploading(image.id)) continue;
    if (!dead.has(image.id) && clock.now() - new Date(image.updated_at).getTime() < store.staleMs) continue;
    const moved = await repo.models.Image.update(
      { status: 'queued', size: null, checksum: null, os_hash_algo: null, os_hash_value: null, updated_at: new Date(clock.now()) },
      { where: { id: image.id, status: 'saving', updated_at: { [Op.eq]: new Date(image.updated_at) } } },
    );
    if (moved[0] !== 1) continue;
    await store.delete(image.id);
    reset.push(image.id);
  }
  if (dead.size || reset.length) logger.warn({ partials: [...dead], reset }, 'cleared uploads that died; their images are queued again');
  return reset;
}

/** Runs recoverUploads now and then every half stale time, until stopped. */
export function watchUploads(repo: ImageRepository, store: ImageStore, clock: Clock, logger: Logger): { stop(): void } {
  let timer: Timer | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = clock.setTimeout(
      () => {
        recoverUploads(repo, store, clock, logger)
          .catch((error) => logger.error({ err: error }, 'recovering dead uploads failed'))
          .finally(next);
      },
      Math.max(500, Math.floor(store.staleMs / 2)),
    );
  };
  next();
  return {
    stop: () => {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
