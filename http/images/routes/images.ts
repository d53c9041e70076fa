import { charLength } from '../../../runtime/chars.js';
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import type { ImageRow } from '../../../models/index.js';
import type { AuthContext } from '../../identity/index.js';
import { authorize, requireOwner, requireProject } from '../access.js';
import { GlanceError } from '../errors.js';
import { IMPORT_METHODS, STORE_ID } from '../image-import.js';
import { pageSize, readPage } from '../image-list.js';
import { applyProperty } from '../image-input.js';
import { authenticate, findVisible, jsonBody, type ImageServices, type ImageState } from '../services.js';
import { imageView, isTrue, type FullImage } from '../views.js';

const PATCH_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'];

/** `/v2/images`: list, create, show, update (JSON patch), delete, (de)activate, tags. */
export function imageRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/images' });

  const find = async (auth: AuthContext, id: string) => (await findVisible(s, auth, id)).image;

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorize(auth, 'get_images');
    const { page, more } = await readPage(s.repo, auth, ctx.query, pageSize(ctx.query));
    const body: Record<string, unknown> = { images: page.map(imageView), first: '/v2/images', schema: '/v2/schemas/images' };
    if (more && page.length) {
      const params = new URLSearchParams(ctx.querystring);
      params.set('marker', page[page.length - 1].row.id);
      body.next = `/v2/images?${params.toString()}`;
    }
    ctx.body = body;
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const owner = requireProject(auth);
    authorize(auth, 'add_image');
    const input = await jsonBody(ctx);
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new GlanceError(400, 'Body expected in request.');
    const { id = randomUUID(), ...rest } = input as Record<string, unknown>;
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
      throw new GlanceError(400, `Invalid id: ${JSON.stringify(id)}`);
    if (await s.repo.get(id)) throw new GlanceError(409, `Image with identifier ${id} already exists!`);
    const now = new Date(s.clock.now());
    const row: ImageRow = {
      id,
      name: null,
      owner,
      status: 'queued',
      visibility: 'shared',
      protected: false,
      os_hidden: false,
      disk_format: null,
      container_format: null,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      min_disk: 0,
      min_ram: 0,
      created_at: now,
      updated_at: now,
    };
    const image: FullImage = { row, properties: {}, tags: [] };
    for (const [name, value] of Object.entries(rest)) applyProperty(image, name, value, auth.isAdmin);
    await s.repo.save(image);
    ctx.status = 201;
    ctx.set('Location', `${s.publicUrl()}/v2/images/${id}`);
    // How data may come besides a direct upload: clients (openstacksdk) read these to choose an import.
    ctx.set('OpenStack-image-import-methods', IMPORT_METHODS.join(','));
    ctx.set('OpenStack-image-store-ids', STORE_ID);
    ctx.body = imageView(image);
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    authorize(auth, 'get_image');
    ctx.body = imageView(await find(auth, ctx.params.id));
  });

  router.patch('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const image = await find(auth, ctx.params.id);
    authorize(auth, 'modify_image');
    requireOwner(auth, image.row);
    if (!PATCH_TYPES.includes(ctx.request.type)) throw new GlanceError(415, `Unsupported Content-Type: use ${PATCH_TYPES[0]}`);
    const ops = await jsonBody(ctx);
    if (!Array.isArray(ops)) throw new GlanceError(400, 'Request body must be a JSON array of operation objects.');
    for (const op of ops as Array<Record<string, unknown>>) {
      if (!op || typeof op !== 'object' || typeof op.path !== 'string' || !['add', 'replace', 'remove'].includes(op.op as string)) {
        throw new GlanceError(400, 'Operations must be JSON objects with "op" (add, replace or remove) and "path".');
      }
      const name = op.path.replace(/^\//, '');
      if (!name || name.includes('/')) throw new GlanceError(400, `Invalid JSON pointer for this resource: '${op.path}'`);
      if (op.op === 'remove') {
        if (!(name in image.properties)) throw new GlanceError(409, `Property ${name} does not exist.`);
        applyProperty(image, name, undefined, auth.isAdmin);
      } else {
        if (!('value' in op)) throw new GlanceError(400, `Operation "${String(op.op)}" requires a member named "value".`);
        if (op.op === 'replace' && !(name in image.properties) && !(name in imageView(image)))
          throw new GlanceError(409, `Property ${name} does not exist.`);
        applyProperty(image, name, op.value, auth.isAdmin);
      }
    }
    image.row.updated_at = new Date(s.clock.now());
    await s.repo.save(image);
    ctx.body = imageView(image);
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const image = await find(auth, ctx.params.id);
    authorize(auth, 'delete_image');
    requireOwner(auth, image.row);
    if (isTrue(image.row.protected)) throw new GlanceError(403, `Image ${image.row.id} is protected and cannot be deleted.`);
    await s.repo.remove(image.row.id);
    await s.store.delete(image.row.id);
    await s.imports.staging.delete(image.row.id);
    ctx.status = 204;
  });

  for (const [action, from, to] of [
    ['deactivate', 'active', 'deactivated'],
    ['reactivate', 'deactivated', 'active'],
  ] as const) {
    router.post(`/:id/actions/${action}`, async (ctx) => {
      const auth = await authenticate(s, ctx);
      const image = await find(auth, ctx.params.id);
      authorize(auth, action);
      requireOwner(auth, image.row);
      if (image.row.status !== to && !(await s.repo.transition(image.row.id, [from], { status: to, updated_at: new Date(s.clock.now()) }))) {
        throw new GlanceError(400, `Not allowed to ${action} an image in status '${image.row.status}'`);
      }
      ctx.status = 204;
    });
  }

  router.put('/:id/tags/:tag', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const image = await find(auth, ctx.params.id);
    authorize(auth, 'modify_image');
    requireOwner(auth, image.row);
    if (charLength(ctx.params.tag) > 255) throw new GlanceError(400, 'Tags are at most 255 characters.');
    image.tags = [...new Set([...image.tags, ctx.params.tag])];
    await s.repo.save(image);
    ctx.status = 204;
  });
  router.delete('/:id/tags/:tag', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const image = await find(auth, ctx.params.id);
    authorize(auth, 'modify_image');
    requireOwner(auth, image.row);
    if (!image.tags.includes(ctx.params.tag)) throw new GlanceError(404, `Tag ${ctx.params.tag} not found.`);
    image.tags = image.tags.filter((t) => t !== ctx.params.tag);
    await s.repo.save(image);
    ctx.status = 204;
  });
  return router;
}
