import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Where a compute host reads images: the image service's URL and a token of the cloud's own to show it. */
export interface ImageSource {
  url(): string;
  token(): Promise<string>;
}

// The fields of Glance's image view a host needs (the rest of the view is let through unread).
const ImageView = Type.Object({
  id: Type.String(),
  status: Type.String(),
  disk_format: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  checksum: Type.Union([Type.String(), Type.Null()]),
  os_hash_algo: Type.Union([Type.String(), Type.Null()]),
  os_hash_value: Type.Union([Type.String(), Type.Null()]),
  /** An image property, shown as a field of the view as Glance shows properties. */
  os_type: Type.Optional(Type.String()),
});
export type ImageView = Static<typeof ImageView>;

/** This node cannot reach the image service yet (it starts after the hosts have registered): try again shortly. */
export class ImageServiceNotReady extends Error {}

/** The image service refused or failed a request (not the image's fault). */
export class ImageServiceError extends Error {}

/** The image's data did not arrive as the image service describes it (size or hash). */
export class ImageDataMismatch extends Error {}

const HASHES = new Set(['sha256', 'sha384', 'sha512', 'md5']);

// A request, or a download that moves no byte, this long is given up: a stalled image service must not hold a build forever.
const STALL_MS = 60_000;

async function call(source: ImageSource, path: string, signal: AbortSignal = AbortSignal.timeout(STALL_MS)): Promise<Response> {
  const response = await fetch(`${source.url()}${path}`, { headers: { 'x-auth-token': await source.token() }, signal });
  if (!response.ok) {
    await response.body?.cancel();
    throw new ImageServiceError(`GET ${path} answered ${response.status}`);
  }
  return response;
}

/** GET /v2/images/{id}: the image as the image service describes it. */
export async function imageView(source: ImageSource, id: string): Promise<ImageView> {
  const body: unknown = await (await call(source, `/v2/images/${encodeURIComponent(id)}`)).json();
  if (!Value.Check(ImageView, body)) throw new ImageServiceError(`GET /v2/images/${id} answered an unexpected shape`);
  return body;
}

/**
 * GET /v2/images/{id}/file into `dest` (created, never replaced), fsynced; the bytes are counted against the
 * image's size and hashed as it says (`checksum`, md5, and its `os_hash_algo`/`os_hash_value` multihash), as
 * Nova's download verifies them. A mismatch leaves `dest` for the caller to remove.
 */
export async function downloadImage(source: ImageSource, image: ImageView, dest: string): Promise<void> {
  if (image.size === null) throw new ImageDataMismatch(`image ${image.id} has no size`);
  const md5 = createHash('md5');
  const algo = image.os_hash_algo && HASHES.has(image.os_hash_algo) ? image.os_hash_algo : undefined;
  const multihash = algo ? createHash(algo) : undefined;
  const stalled = new AbortController();
  const timer = setTimeout(() => stalled.abort(new ImageServiceError(`image ${image.id}: no data for ${STALL_MS} ms`)), STALL_MS).unref();
  const response = await call(source, `/v2/images/${encodeURIComponent(image.id)}/file`, stalled.signal).catch((error: unknown) => {
    clearTimeout(timer);
    throw error;
  });
  const file = await open(dest, 'wx', 0o644);
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      timer.refresh();
      received += chunk.length;
      // Never more than the image's own size on this host's disk, whatever the other end sends.
      if (received > image.size) throw new ImageDataMismatch(`image ${image.id} sent more than its size of ${image.size} bytes`);
      md5.update(chunk);
      multihash?.update(chunk);
      for (let at = 0; at < chunk.length;) at += (await file.write(chunk, at)).bytesWritten;
    }
    await file.sync();
  } finally {
    clearTimeout(timer);
    await file.close();
  }
  if (received !== image.size) throw new ImageDataMismatch(`image ${image.id} sent ${received} of its ${image.size} bytes`);
  if (image.checksum && md5.digest('hex') !== image.checksum) throw new ImageDataMismatch(`image ${image.id}: checksum mismatch`);
  if (multihash && image.os_hash_value && multihash.digest('hex') !== image.os_hash_value)
    throw new ImageDataMismatch(`image ${image.id}: ${algo} hash mismatch`);
}
