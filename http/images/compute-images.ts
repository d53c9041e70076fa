import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { NewServerImage, ServerImages } from '../../services/images/index.js';
import type { Clock } from '../../runtime/clock.js';
import { readRows } from '../../models/typed.js';
import type { ImageStore } from './image-store.js';
import type { ImageRepository } from './repository.js';

// Images made by the compute side: the snapshot and backup records Nova's API creates (queued, private), and the
// host's part: their data (on simulated hosts, the data of the image the server was booted from), rotation, removal.

// Nova's NON_INHERITABLE_IMAGE_PROPERTIES, and what only describes the source image's own upload.
const NOT_INHERITED = new Set([
  'cinder_encryption_key_id',
  'cinder_encryption_key_deletion_policy',
  'img_signature',
  'img_signature_hash_method',
  'img_signature_key_type',
  'img_signature_certificate_uuid',
  'os_glance_importing_to_stores',
  'os_glance_failed_import',
  'description',
]);

export function serverImages(repo: ImageRepository, clock: Clock, publicUrl: () => string): ServerImages {
  return {
    async createServerImage(i: NewServerImage): Promise<string> {
      const source = i.base_image_ref ? await repo.get(i.base_image_ref) : undefined;
      const inherited = Object.fromEntries(Object.entries(source?.properties ?? {}).filter(([name]) => !NOT_INHERITED.has(name)));
      const id = randomUUID();
      const now = new Date(clock.now());
      await repo.save({
        row: {
          id,
          name: i.name,
          owner: i.owner,
          status: 'queued',
          visibility: 'private',
          protected: false,
          os_hidden: false,
          disk_format: source?.row.disk_format ?? null,
          container_format: source?.row.container_format ?? null,
          size: null,
          virtual_size: null,
          checksum: null,
          os_hash_algo: null,
          os_hash_value: null,
          min_disk: Math.max(i.root_gb, source?.row.min_disk ?? 0),
          min_ram: source?.row.min_ram ?? 0,
          created_at: now,
          updated_at: now,
        },
        properties: {
          ...inherited,
          instance_uuid: i.instance_uuid,
          user_id: i.user_id,
          image_type: i.image_type,
          ...(i.base_image_ref ? { base_image_ref: i.base_image_ref } : {}),
          ...(i.backup_type ? { backup_type: i.backup_type } : {}),
          ...i.extra_properties,
        },
        tags: [],
      });
      return id;
    },
    deleteServerImage: (id) => repo.remove(id),
    imageUrl: (id) => `${publicUrl()}/v2/images/${id}`,
  };
}

/** The host actor's HostImages (actors/host/image-ops.ts) over this image service's rows and store. */
export function hostImages(repo: ImageRepository, store: ImageStore, clock: Clock) {
  const remove = async (id: string) => {
    await repo.remove(id);
    await store.delete(id).catch(() => {});
  };
  return {
    async upload(imageId: string, sourceImageRef: string): Promise<void> {
      // Deleted meanwhile (by its owner), or written already (a redelivered order): nothing to do. One left saving by a
      // node killed mid-write is written again (the store renames a complete file into place, or keeps none).
      if (!(await repo.transition(imageId, ['queued', 'saving'], { status: 'saving', updated_at: new Date(clock.now()) }))) return;
      try {
        if (!sourceImageRef) throw new Error('the server has no image to take a snapshot from');
        const stored = await store.write(imageId, await store.read(sourceImageRef));
        await repo.transition(imageId, ['saving'], {
          status: 'active',
          size: stored.size,
          virtual_size: stored.size,
          checksum: stored.md5,
          os_hash_algo: 'sha512',
          os_hash_value: stored.sha512,
          updated_at: new Date(clock.now()),
        });
      } catch (error) {
        // Nova deletes the image of a failed snapshot.
        await remove(imageId);
        throw error;
      }
    },
    remove,
    async rotate(instanceUuid: string, backupType: string, rotation: number): Promise<string[]> {
      const props = await readRows(repo.models.ImageProperty, { where: { name: 'instance_uuid', value: instanceUuid } });
      const images = await repo.all({ id: { [Op.in]: props.map((p) => p.image_id) } });
      const backups = images
        .filter((i) => i.properties.image_type === 'backup' && i.properties.backup_type === backupType)
        .sort((a, b) => new Date(b.row.created_at).getTime() - new Date(a.row.created_at).getTime() || b.row.id.localeCompare(a.row.id));
      const excess = backups.slice(rotation).map((i) => i.row.id);
      for (const id of excess) await remove(id);
      return excess;
    },
  };
}
