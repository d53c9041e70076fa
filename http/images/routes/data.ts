import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { authorize, requireOwner } from '../access.js';
import { GlanceError } from '../errors.js';
import { ImageStoreError } from '../image-store.js';
import { authenticate, findVisible, type ImageServices, type ImageState } from '../services.js';

const CLEARED = { size: null, checksum: null, os_hash_algo: null, os_hash_value: null };

/** What a refused upload may still send before its answer, and for how long. */
const LINGER = { bytes: 4 * 1024 * 1024, ms: 2_000 };

/**
 * An upload refused before its body was read to the end is answered on a closing connection. Closing a socket with
 * unread bytes makes the kernel reset it and the client lose the answer, so what is still in flight is read and
 * dropped first, within a bound in bytes and time: a very large body is never read to its end.
 */
export const closeUnread: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (!ctx.req.readableEnded) {
      ctx.set('Connection', 'close');
      await drain(ctx.req);
    }
    throw error;
  }
};

function drain(req: IncomingMessage): Promise<void> {
  req.unpipe();
  return new Promise((resolve) => {
    let dropped = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', count);
      resolve();
    };
    const count = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER.bytes) done();
    };
    const timer = setTimeout(done, LINGER.ms);
    req.on('data', count);
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/**
 * The most bytes this upload may bring: Glance's `image_size_cap`, and what is left of the
 * owner's `user_storage_quota`; with the 413 Glance answers when either is exceeded.
 */
export async function uploadLimit(s: ImageServices, owner: string) {
  const { sizeCapBytes: cap, userStorageQuotaBytes: quota } = s.limits;
  const remaining = quota > 0 ? Math.max(0, quota - (await s.repo.storedBy(owner))) : Infinity;
  const bytes = Math.min(cap, remaining);
  return {
    bytes,
    error: (size: number | undefined, quotaHit = bytes < cap) =>
      quotaHit
        ? new GlanceError(
            413,
            `Image exceeds the storage quota: The size of the data ${size ?? 'uploaded'} will exceed the limit. ${remaining} bytes remaining.`,
          )
        : new GlanceError(413, 'The incoming image is too large: The provided image is too large.'),
  };
}

/** `/v2/images/{id}/file`: upload (queued → saving → active) and download, with ranges. */
export function dataRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/images/:id/file' });

  const find = async (ctx: { params: Record<string, string>; get(h: string): string; method: string; path: string }) => {
    const auth = await authenticate(s, ctx);
    return { auth, image: (await findVisible(s, auth, ctx.params.id)).image };
  };

  router.put('/', closeUnread, async (ctx) => {
    const { auth, image } = await find(ctx);
    authorize(auth, 'upload_image');
    requireOwner(auth, image.row);
    if (!image.row.disk_format || !image.row.container_format) {
      throw new GlanceError(400, 'Properties disk_format, container_format must be set prior to saving data.');
    }
    const id = image.row.id;
    const length = ctx.get('content-length');
    const declared = length ? Number(length) : undefined;
    const limit = await uploadLimit(s, image.row.owner);
    if (declared !== undefined && declared > limit.bytes) throw limit.error(declared);
    if (!(await s.repo.transition(id, ['queued'], { status: 'saving', updated_at: new Date(s.clock.now()) }))) {
      throw new GlanceError(409, `Image status transition from ${image.row.status} to saving is not allowed`);
    }
    const md5 = ctx.get('content-md5');
    try {
      const stored = await s.store.write(id, ctx.req, {
        ...(declared !== undefined ? { size: declared } : {}),
        maxBytes: limit.bytes,
        // Content-MD5 is base64 by RFC 1864; Glance's own checksums are hex: take either.
        ...(md5 ? { md5: /^[0-9a-f]{32}$/i.test(md5) ? md5.toLowerCase() : Buffer.from(md5, 'base64').toString('hex') } : {}),
      });
      const activated = await s.repo.transition(id, ['saving'], {
        status: 'active',
        size: stored.size,
        checksum: stored.md5,
        os_hash_algo: 'sha512',
        os_hash_value: stored.sha512,
        updated_at: new Date(s.clock.now()),
      });
      if (!activated) throw new ImageStoreError('aborted', 'the image left saving during its upload');
      // Two uploads of one project may both have fit alone: the later one to commit gives way.
      if (s.limits.userStorageQuotaBytes > 0 && (await s.repo.storedBy(image.row.owner)) > s.limits.userStorageQuotaBytes) {
        await s.repo.transition(id, ['active'], { ...CLEARED, status: 'saving', updated_at: new Date(s.clock.now()) });
        throw new ImageStoreError('quota', 'the storage quota was reached by another upload meanwhile');
      }
    } catch (error) {
      // A failed upload leaves the image queued, as Glance does, so it can be uploaded again, and keeps no bytes.
      await s.repo.transition(id, ['saving'], { ...CLEARED, status: 'queued', updated_at: new Date(s.clock.now()) });
      if (!(error instanceof ImageStoreError)) throw error;
      await s.store.delete(id);
      if (error.reason === 'too-large' || error.reason === 'quota') throw limit.error(declared, error.reason === 'quota' || undefined);
      if (error.reason === 'aborted') {
        if (!(await s.repo.get(id))) {
          throw new GlanceError(410, `Image ${id} could not be found after upload. The image may have been deleted during the upload.`);
        }
        throw new GlanceError(409, `Image ${id} changed status during its upload; upload it again.`);
      }
      throw new GlanceError(400, `Upload refused: ${error.message}`);
    }
    ctx.status = 204;
  });

  /** The bytes, or Glance's 404 when they are gone (the image deleted while this request read its row). */
  const bytesOf = async (id: string, range?: { start: number; end: number }) => {
    try {
      return await s.store.read(id, range);
    } catch (error) {
      if (error instanceof ImageStoreError && error.reason === 'not-found')
        throw new GlanceError(404, `Image ${id} has no data: it may have been deleted.`);
      throw error;
    }
  };

  router.get('/', async (ctx) => {
    const { auth, image } = await find(ctx);
    authorize(auth, 'download_image');
    if (image.row.status === 'deactivated' && !auth.isAdmin)
      throw new GlanceError(403, 'The requested image has been deactivated. Image data download is forbidden.');
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
      ctx.body = await bytesOf(image.row.id, { start, end });
      return;
    }
    ctx.length = size;
    ctx.body = await bytesOf(image.row.id);
  });
  return router;
}
