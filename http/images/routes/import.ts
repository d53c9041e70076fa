import Router from '@koa/router';
import { Op } from 'sequelize';
import { readRows } from '../../../models/typed.js';
import { authorize, requireOwner } from '../access.js';
import { GlanceError } from '../errors.js';
import { IMPORT_METHODS, STORE_DESCRIPTION, STORE_ID } from '../image-import.js';
import { ImageStoreError } from '../image-store.js';
import { authenticate, findVisible, jsonBody, type ImageServices, type ImageState } from '../services.js';
import { imageTaskView } from '../task-views.js';
import { closeUnread, uploadLimit } from './data.js';

const CLEARED = { size: null, checksum: null, os_hash_algo: null, os_hash_value: null };

/**
 * Glance's interoperable import: discovery (`/v2/info/import`, `/v2/info/stores`), `PUT /v2/images/{id}/stage`
 * (queued → uploading, the data kept in the staging store), `POST /v2/images/{id}/import` (uploading → importing,
 * then active by its task) and `GET /v2/images/{id}/tasks`.
 */
export function importRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>();

  router.get('/v2/info/import', async (ctx) => {
    await authenticate(s, ctx);
    ctx.body = { 'import-methods': { description: 'Import methods available.', type: 'array', value: IMPORT_METHODS } };
  });

  router.get('/v2/info/stores', async (ctx) => {
    await authenticate(s, ctx);
    ctx.body = { stores: [{ id: STORE_ID, description: STORE_DESCRIPTION, default: 'true' }] };
  });

  router.put('/v2/images/:id/stage', closeUnread, async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (ctx.request.type !== 'application/octet-stream') throw new GlanceError(415, `Invalid content type ${ctx.request.type || 'none'}`);
    const image = (await findVisible(s, auth, ctx.params.id)).image;
    authorize(auth, 'modify_image');
    requireOwner(auth, image.row);
    const id = image.row.id;
    const length = ctx.get('content-length');
    const declared = length ? Number(length) : undefined;
    const limit = await uploadLimit(s, image.row.owner);
    if (declared !== undefined && declared > s.limits.sizeCapBytes) throw limit.error(declared, false);
    if (!(await s.repo.transition(id, ['queued'], { status: 'uploading', updated_at: new Date(s.clock.now()) }))) {
      throw new GlanceError(409, `Image status transition from ${image.row.status} to uploading is not allowed`);
    }
    try {
      // The storage quota is counted when the data is imported; staging is bounded by the size cap.
      const staged = await s.imports.staging.write(id, ctx.req, {
        ...(declared !== undefined ? { size: declared } : {}),
        maxBytes: s.limits.sizeCapBytes,
      });
      if (!(await s.repo.transition(id, ['uploading'], { size: staged.size, updated_at: new Date(s.clock.now()) }))) {
        throw new ImageStoreError('aborted', 'the image left uploading while it was staged');
      }
    } catch (error) {
      // A failed stage leaves the image queued, as Glance restores it, with nothing staged.
      await s.repo.transition(id, ['uploading'], { ...CLEARED, status: 'queued', updated_at: new Date(s.clock.now()) });
      if (!(error instanceof ImageStoreError)) throw error;
      await s.imports.staging.delete(id);
      if (error.reason === 'too-large') throw limit.error(declared, false);
      if (error.reason === 'aborted') {
        if (!(await s.repo.get(id))) throw new GlanceError(404, `Image ${id} could not be found after staging. It may have been deleted.`);
        throw new GlanceError(409, `Image ${id} changed status while it was staged; stage it again.`);
      }
      throw new GlanceError(400, `Staging refused: ${error.message}`);
    }
    ctx.status = 204;
  });

  router.post('/v2/images/:id/import', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const body = await jsonBody(ctx);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GlanceError(400, 'Body expected in request.');
    const request = body as Record<string, unknown>;
    const method = request.method as Record<string, unknown> | undefined;
    if (!method || typeof method !== 'object') throw new GlanceError(400, "Import request requires a 'method' field.");
    if (!('name' in method)) throw new GlanceError(400, "Import request requires a 'name' field.");
    if (!IMPORT_METHODS.includes(method.name as string)) throw new GlanceError(400, `Unknown import method name '${String(method.name)}'.`);
    for (const flag of ['all_stores_must_succeed', 'all_stores'])
      if (flag in request && typeof request[flag] !== 'boolean') throw new GlanceError(400, `'${flag}' must be boolean value only`);

    const image = (await findVisible(s, auth, ctx.params.id)).image;
    const { row } = image;
    if (row.status === 'active') throw new GlanceError(409, 'Image with status active cannot be target for import');
    if (row.status !== 'uploading') throw new GlanceError(409, "Image needs to be staged before 'glance-direct' method can be used");
    if (!row.container_format) throw new GlanceError(409, "'container_format' needs to be set before import");
    if (!row.disk_format) throw new GlanceError(409, "'disk_format' needs to be set before import");
    authorize(auth, 'modify_image');
    requireOwner(auth, row);
    if (image.properties.os_glance_import_task)
      throw new GlanceError(409, `New operation on image '${row.id}' is not permitted as prior operation is still in progress`);

    // Glance's get_stores_from_request: the body's stores, or the header's one, or the default store.
    const header = ctx.get('x-image-meta-store');
    const asked = Array.isArray(request.stores) && request.stores.length ? request.stores : header ? [header] : [STORE_ID];
    for (const store of asked) if (store !== STORE_ID) throw new GlanceError(409, `Unknown scheme '${String(store)}' found in URI`);
    if (s.limits.userStorageQuotaBytes > 0 && (await s.repo.storedBy(row.owner)) >= s.limits.userStorageQuotaBytes)
      throw new GlanceError(413, 'The image storage quota of the project is used up.');

    const task = await s.imports.start({
      imageId: row.id,
      owner: auth.projectId ?? row.owner,
      userId: auth.userId,
      requestId: ctx.state.correlationId,
      body: request,
      stores: [...new Set(asked as string[])],
    });
    if (!task) throw new GlanceError(409, "Image needs to be staged before 'glance-direct' method can be used");
    ctx.status = 202;
    ctx.body = '';
  });

  router.get('/v2/images/:id/tasks', async (ctx) => {
    const auth = await authenticate(s, ctx);
    try {
      await findVisible(s, auth, ctx.params.id);
      authorize(auth, 'get_image');
    } catch {
      throw new GlanceError(404, 'The resource could not be found.');
    }
    const now = new Date(s.clock.now());
    const tasks = await readRows(s.repo.models.ImageTask, {
      where: { image_id: ctx.params.id, [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gte]: now } }] },
      order: [['created_at', 'ASC']],
      limit: 1000,
    });
    ctx.body = { tasks: tasks.map(imageTaskView) };
  });

  return router;
}
