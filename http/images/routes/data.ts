import Router from '@koa/router';
import { authorize, requireOwner } from '../access.js';
import { GlanceError } from '../errors.js';
import { ImageStoreError } from '../image-store.js';
import { authenticate, findVisible, type ImageServices, type ImageState } from '../services.js';

/** `/v2/images/{id}/file`: upload (queued → saving → active) and download, with ranges. */
export function dataRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/images/:id/file' });

  const find = async (ctx: { params: Record<string, string>; get(h: string): string }) => {
    const auth = await authenticate(s, ctx);
    return { auth, image: (await findVisible(s, auth, ctx.params.id)).image };
  };

  router.put('/', async (ctx) => {
    const { auth, image } = await find(ctx);
    authorize(auth, 'upload_image');
    requireOwner(auth, image.row);
    if (!image.row.disk_format || !image.row.container_format) {
      throw new GlanceError(400, 'Properties disk_format, container_format must be set prior to saving data.');
    }
    if (!(await s.repo.transition(image.row.id, ['queued'], { status: 'saving', updated_at: new Date(s.clock.now()) }))) {
      throw new GlanceError(409, `Image status transition from ${image.row.status} to saving is not allowed`);
    }
    const length = ctx.get('content-length');
    const md5 = ctx.get('content-md5');
    try {
      const stored = await s.store.write(image.row.id, ctx.req, {
        ...(length ? { size: Number(length) } : {}),
        // Content-MD5 is base64 by RFC 1864; Glance's own checksums are hex: take either.
        ...(md5 ? { md5: /^[0-9a-f]{32}$/i.test(md5) ? md5.toLowerCase() : Buffer.from(md5, 'base64').toString('hex') } : {}),
      });
      await s.repo.transition(image.row.id, ['saving'], {
        status: 'active', size: stored.size, checksum: stored.md5, os_hash_algo: 'sha512', os_hash_value: stored.sha512,
        updated_at: new Date(s.clock.now()),
      });
    } catch (error) {
      // A failed upload leaves the image queued, as Glance does, so it can be uploaded again.
      await s.repo.transition(image.row.id, ['saving'], { status: 'queued', updated_at: new Date(s.clock.now()) });
      if (error instanceof ImageStoreError) throw new GlanceError(400, `Upload refused: ${error.message}`);
      throw error;
    }
    ctx.status = 204;
  });

  router.get('/', async (ctx) => {
    const { auth, image } = await find(ctx);
    authorize(auth, 'download_image');
    if (image.row.status === 'deactivated' && !auth.isAdmin) throw new GlanceError(403, 'The requested image has been deactivated. Image data download is forbidden.');
    if (image.row.status !== 'active' && image.row.status !== 'deactivated') {
      ctx.status = 204;
      return;
    }
    const size = Number(image.row.size);
    const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.get('range'));
    ctx.type = 'application/octet-stream';
    if (image.row.checksum) ctx.set('Content-MD5', image.row.checksum);
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        ctx.set('Content-Range', `bytes */${size}`);
        throw new GlanceError(416, 'Requested range not satisfiable');
      }
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
      ctx.length = end - start + 1;
      ctx.body = await s.store.read(image.row.id, { start, end });
      return;
    }
    ctx.length = size;
    ctx.body = await s.store.read(image.row.id);
  });
  return router;
}

