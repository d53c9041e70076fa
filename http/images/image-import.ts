import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { Logger } from 'pino';
import type { ImageTaskRow } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import { readRow, readRows } from '../../models/typed.js';
import { ImageStoreError, type ImageStore } from './image-store.js';
import type { ImageRepository } from './repository.js';

// Glance's interoperable import, method glance-direct: the data staged by PUT /stage (durably, in the staging store)
// is imported by a task: the image goes uploading → importing → active, its bytes copied into the image store and
// hashed there as a direct upload's are. A failed import puts the image back to `queued` (its record and properties
// kept, no bytes anywhere) and the task to `failure` with the reason. A node resumes its own unfinished tasks when it
// starts again.

/** The one store of this deployment (Glance's multi-store names; `/v2/info/stores`). */
export const STORE_ID = 'local';
export const STORE_DESCRIPTION = 'The image store of this Stratus deployment';
/** What this deployment imports with: staged data only (no outbound downloads, one store to copy to). */
export const IMPORT_METHODS = ['glance-direct'];
/** Glance's task_time_to_live: a finished task is listed this long. */
export const TASK_TTL_MS = 48 * 3600_000;

const LOCK = 'os_glance_import_task';
const IMPORTING = 'os_glance_importing_to_stores';
const FAILED = 'os_glance_failed_import';
const CLEARED = { size: null, virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null };

export interface ImportRequest {
  readonly imageId: string;
  readonly owner: string;
  readonly userId: string;
  readonly requestId: string;
  readonly body: Record<string, unknown>;
  readonly stores: string[];
}

export class ImageImports {
  /** Imports running on this node, so a stop can wait for them. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly repo: ImageRepository,
    private readonly store: ImageStore,
    readonly staging: ImageStore,
    private readonly clock: Clock,
    private readonly nodeId: string,
    /** Glance's image_size_cap and user_storage_quota (0: none), as the upload route applies them. */
    private readonly limits: Readonly<{ sizeCapBytes: number; userStorageQuotaBytes: number }>,
    private readonly logger: Logger,
  ) {}

  private now = () => new Date(this.clock.now());

  /**
   * Sets (string) or removes (undefined) the image's import bookkeeping properties, only while the image is in
   * `status` (its row locked meanwhile on PostgreSQL); rows of other properties and the image's own row are untouched.
   */
  private async mark(imageId: string, status: string, properties: Record<string, string | undefined>): Promise<void> {
    const { Image, ImageProperty } = this.repo.models;
    await Image.sequelize!.transaction(async (transaction) => {
      const lock = Image.sequelize!.getDialect() === 'postgres' ? { lock: transaction.LOCK.UPDATE } : {};
      const row = await Image.findByPk(imageId, { transaction, ...lock });
      if (!row || row.get('status') !== status) return;
      for (const [name, value] of Object.entries(properties)) {
        if (value === undefined) await ImageProperty.destroy({ where: { image_id: imageId, name }, transaction });
        else await ImageProperty.upsert({ image_id: imageId, name, value }, { transaction });
      }
    });
  }

  /**
   * Starts the import of a staged image: takes its import lock (the uploading → importing move, which only one request
   * wins), records the task, and runs it in the background. Answers the task's id, or undefined when the image was
   * no longer `uploading`.
   */
  async start(r: ImportRequest): Promise<string | undefined> {
    const now = this.now();
    if (!(await this.repo.transition(r.imageId, ['uploading'], { status: 'importing', updated_at: now }))) return undefined;
    const id = randomUUID();
    await this.repo.models.ImageTask.create({
      id,
      type: 'api_image_import',
      status: 'pending',
      owner: r.owner,
      user_id: r.userId,
      request_id: r.requestId,
      image_id: r.imageId,
      input: JSON.stringify({ image_id: r.imageId, import_req: r.body, backend: r.stores }),
      result: null,
      message: '',
      node_id: this.nodeId,
      expires_at: null,
      created_at: now,
      updated_at: now,
    } satisfies ImageTaskRow);
    await this.mark(r.imageId, 'importing', { [LOCK]: id, [IMPORTING]: r.stores.join(','), [FAILED]: '' });
    this.launch(id);
    return id;
  }

  private launch(taskId: string): void {
    if (this.running.has(taskId)) return;
    const run = this.run(taskId)
      .catch((error) => this.logger.error({ err: error, task: taskId }, 'image import task failed to record its end'))
      .finally(() => this.running.delete(taskId));
    this.running.set(taskId, run);
  }

  private async finish(taskId: string, status: 'success' | 'failure', message: string, result: unknown): Promise<void> {
    const now = this.now();
    await this.repo.models.ImageTask.update(
      {
        status,
        message,
        result: result === null ? null : JSON.stringify(result),
        updated_at: now,
        expires_at: new Date(now.getTime() + TASK_TTL_MS),
      },
      { where: { id: taskId } },
    );
  }

  private async run(taskId: string): Promise<void> {
    const task = await readRow(this.repo.models.ImageTask, { where: { id: taskId } });
    if (!task || !task.image_id) return;
    const imageId = task.image_id;
    await this.repo.models.ImageTask.update({ status: 'processing', updated_at: this.now() }, { where: { id: taskId } });
    const image = await this.repo.get(imageId);
    if (!image || image.row.status !== 'importing') {
      await this.finish(taskId, 'failure', `Image ${imageId} is no longer importing: it may have been deleted.`, null);
      await this.staging.delete(imageId).catch(() => undefined);
      return;
    }
    const stores = (JSON.parse(task.input) as { backend?: string[] }).backend ?? [STORE_ID];
    try {
      const { sizeCapBytes: cap, userStorageQuotaBytes: quota } = this.limits;
      const remaining = quota > 0 ? Math.max(0, quota - (await this.repo.storedBy(image.row.owner))) : Infinity;
      const maxBytes = Math.min(cap, remaining);
      const stored = await this.store.write(imageId, await this.staging.read(imageId), { maxBytes }).catch((error: unknown) => {
        if (error instanceof ImageStoreError && error.reason === 'too-large')
          throw new Error(
            maxBytes < cap
              ? `Image exceeds the storage quota: ${remaining} bytes remaining.`
              : 'The incoming image is too large: The provided image is too large.',
          );
        if (error instanceof ImageStoreError && error.reason === 'not-found') throw new Error('The staged data of the image is gone.');
        throw error;
      });
      // The bookkeeping first: a client seeing the image active sees it finished.
      await this.mark(imageId, 'importing', { [LOCK]: undefined, [IMPORTING]: '', [FAILED]: '' });
      const activated = await this.repo.transition(imageId, ['importing'], {
        status: 'active',
        size: stored.size,
        virtual_size: stored.size,
        checksum: stored.md5,
        os_hash_algo: 'sha512',
        os_hash_value: stored.sha512,
        updated_at: this.now(),
      });
      if (!activated) {
        await this.store.delete(imageId);
        throw new Error(`Image ${imageId} left importing during its import: it may have been deleted.`);
      }
      // Two imports of one project may both have fit alone: the later one to commit gives way.
      if (quota > 0 && (await this.repo.storedBy(image.row.owner)) > quota) {
        await this.repo.transition(imageId, ['active'], { ...CLEARED, status: 'importing', updated_at: this.now() });
        await this.store.delete(imageId);
        throw new Error('Image exceeds the storage quota: the quota was reached by another upload meanwhile.');
      }
      await this.staging.delete(imageId);
      await this.finish(taskId, 'success', '', { image_id: imageId });
      this.logger.info({ image: imageId, task: taskId, size: stored.size }, 'image imported');
    } catch (error) {
      const reason = (error as Error).message;
      // As Glance: the image is queued again (to be staged and imported anew), with no bytes left anywhere.
      await this.mark(imageId, 'importing', { [LOCK]: undefined, [IMPORTING]: '', [FAILED]: stores.join(',') });
      await this.repo.transition(imageId, ['importing'], { ...CLEARED, status: 'queued', updated_at: this.now() });
      await this.staging.delete(imageId).catch(() => undefined);
      await this.finish(taskId, 'failure', reason, null);
      this.logger.warn({ image: imageId, task: taskId, reason }, 'image import failed; the image is queued again');
    }
  }

  /**
   * After a restart: stages that died leave their images `queued` again; this node's unfinished imports run again
   * from their staged data (the store keeps no half image, so an import is simply redone).
   */
  async recover(swept: string[]): Promise<void> {
    const uploading = await readRows(this.repo.models.Image, { where: { status: 'uploading' }, attributes: ['id', 'updated_at'] });
    for (const { id, updated_at } of uploading) {
      if (await this.staging.uploading(id)) continue;
      const staged = await this.staging.size(id).then(
        () => true,
        () => false,
      );
      if (staged) continue;
      // No partial file at all: a stage may be just starting on another node; it is dead once stale.
      if (!swept.includes(id) && this.clock.now() - new Date(updated_at).getTime() < this.staging.staleMs) continue;
      await this.repo.transition(id, ['uploading'], { ...CLEARED, status: 'queued', updated_at: this.now() });
    }
    const mine = await readRows(this.repo.models.ImageTask, {
      where: { node_id: this.nodeId, status: { [Op.in]: ['pending', 'processing'] } },
      attributes: ['id'],
    });
    if (mine.length) this.logger.warn({ tasks: mine.map((t) => t.id) }, 'resuming image imports a stop interrupted');
    for (const { id } of mine) this.launch(id);
  }

  /** Waits for the imports running here (a graceful stop). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }
}
