import type { Caller } from '../../services/identity/index.js';
import { ImageServiceError, type ImageProxy, type ProxyImage } from '../../services/images/index.js';
import type { Clock } from '../../runtime/clock.js';
import { authorize, requireOwner, visible } from './access.js';
import { GlanceError } from './errors.js';
import { readPage } from './image-list.js';
import { applyProperty } from './image-input.js';
import type { ImageStore } from './image-store.js';
import type { ImageRepository } from './repository.js';
import { isTrue, type FullImage } from './views.js';

// The image service as Nova's image API proxy calls it: with the caller's own credentials, so Glance's policies,
// visibility and refusals apply exactly as they would to the same request sent to Glance.

const proxyImage = ({ row, properties }: FullImage): ProxyImage => ({
  id: row.id,
  name: row.name,
  status: row.status,
  size: row.size === null || row.size === undefined ? null : Number(row.size),
  minRam: row.min_ram || 0,
  minDisk: row.min_disk || 0,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  properties,
});

/** Glance's refusals as the interface's errors. */
async function refusalsAsServiceErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GlanceError && [400, 403, 404, 409, 413].includes(error.status))
      throw new ImageServiceError(error.status as ImageServiceError['status'], error.message);
    throw error;
  }
}

export function imageProxy(repo: ImageRepository, store: ImageStore, clock: Clock, rootUrl: () => string): ImageProxy {
  const viewer = (caller: Caller, project: string) => ({ isAdmin: caller.isAdmin, projectId: project, roles: caller.roles });
  const find = async (caller: Caller, project: string, id: string) => {
    const image = await repo.get(id);
    const mine = image ? (await repo.membersOf(id)).find((m) => m.member === project) : undefined;
    if (!image || !visible(viewer(caller, project), image.row, mine?.status)) throw new GlanceError(404, `No image found with ID ${id}`);
    return image;
  };
  return {
    listImages: (caller, project, { filters, limit, marker }) =>
      refusalsAsServiceErrors(async () => {
        const auth = viewer(caller, project);
        authorize(auth, 'get_images');
        const { page } = await readPage(repo, auth, { ...filters, ...(marker === undefined ? {} : { marker }) }, limit);
        return page.map(proxyImage);
      }),
    getImage: (caller, project, id) =>
      refusalsAsServiceErrors(async () => {
        authorize(viewer(caller, project), 'get_image');
        try {
          return proxyImage(await find(caller, project, id));
        } catch (error) {
          if (error instanceof GlanceError && error.status === 404) return undefined;
          throw error;
        }
      }),
    deleteImage: (caller, project, id) =>
      refusalsAsServiceErrors(async () => {
        const auth = viewer(caller, project);
        const image = await find(caller, project, id);
        authorize(auth, 'delete_image');
        requireOwner(auth, image.row);
        if (isTrue(image.row.protected)) throw new GlanceError(403, `Image ${id} is protected and cannot be deleted.`);
        await repo.remove(id);
        await store.delete(id);
      }),
    replaceImageProperties: (caller, project, id, properties) =>
      refusalsAsServiceErrors(async () => {
        const auth = viewer(caller, project);
        const image = await find(caller, project, id);
        authorize(auth, 'modify_image');
        requireOwner(auth, image.row);
        // Glance's own bookkeeping (os_glance_*) is not the caller's to remove.
        for (const name of Object.keys(image.properties))
          if (!(name in properties) && !name.startsWith('os_glance')) applyProperty(image, name, undefined, caller.isAdmin);
        for (const [name, value] of Object.entries(properties)) applyProperty(image, name, value, caller.isAdmin);
        image.row.updated_at = new Date(clock.now());
        await repo.save(image);
        return proxyImage(image);
      }),
    rootUrl,
  };
}
