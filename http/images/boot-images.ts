import type { Caller } from '../../services/identity/index.js';
import type { ImageService } from '../../services/images/index.js';
import { visible } from './access.js';
import type { ImageRepository } from './repository.js';
import { readRow } from '../../models/typed.js';

/** The image service as compute reaches it (services/images): an image by id, under Glance's visibility rules. */
export function imageService(repo: ImageRepository): Pick<ImageService, 'bootImage'> {
  return {
    async bootImage(caller: Caller, project: string, id: string) {
      const row = await readRow(repo.models.Image, { where: { id } });
      if (!row) return undefined;
      // Membership matters only for a shared image of another project; most boots need one read.
      const shared = row.visibility === 'shared' && row.owner !== project && !caller.isAdmin;
      const mine = shared ? (await repo.membersOf(id)).find((m) => m.member === project) : undefined;
      if (!visible({ ...caller, projectId: project }, row, mine?.status)) return undefined;
      return {
        id: row.id,
        status: row.status,
        size: row.size === null || row.size === undefined ? null : Number(row.size),
        minRamMb: row.min_ram || 0,
        minDiskGb: row.min_disk || 0,
      };
    },
  };
}
