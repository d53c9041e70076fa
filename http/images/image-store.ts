import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredImage { readonly size: number; readonly md5: string; readonly sha512: string }

export interface WriteOptions {
  /** A declared size or hash that the bytes do not match fails the write. */
  readonly size?: number;
  readonly md5?: string;
  readonly sha512?: string;
  readonly onProgress?: (bytes: number) => void;
}

export class ImageStoreError extends Error {
  constructor(readonly reason: 'size' | 'checksum' | 'not-found' | 'bad-id', message: string) { super(message); }
}

const PARTIAL = '.partial';
const validId = /^[0-9a-f-]{36}$/;

/**
 * Image bytes on disk, one file per image. A write goes to a temporary file and is renamed into
 * place only when complete and checked, so a crash mid-upload never leaves a half image; the
 * folder may be shared by several nodes.
 */
export class ImageStore {
  constructor(readonly dir: string) {}

  /** Creates the folder and removes what interrupted writes left behind; returns how many. */
  async open(): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const stray = (await readdir(this.dir)).filter((name) => name.endsWith(PARTIAL));
    await Promise.all(stray.map((name) => rm(join(this.dir, name), { force: true })));
    return stray.length;
  }

  path(id: string): string {
    if (!validId.test(id)) throw new ImageStoreError('bad-id', `not an image id: ${id}`);
    return join(this.dir, id);
  }

  async write(id: string, source: Readable, options: WriteOptions = {}): Promise<StoredImage> {
    const target = this.path(id);
    const temp = `${target}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (options.size !== undefined && size > options.size) {
          done(new ImageStoreError('size', `more than the declared ${options.size} bytes`));
          return;
        }
        md5.update(chunk);
        sha512.update(chunk);
        options.onProgress?.(size);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, hashing, createWriteStream(temp, { flags: 'wx' }));
      const stored = { size, md5: md5.digest('hex'), sha512: sha512.digest('hex') };
      if (options.size !== undefined && size !== options.size) throw new ImageStoreError('size', `${size} bytes, not the declared ${options.size}`);
      if (options.md5 && options.md5 !== stored.md5) throw new ImageStoreError('checksum', `md5 ${stored.md5} does not match ${options.md5}`);
      if (options.sha512 && options.sha512 !== stored.sha512) throw new ImageStoreError('checksum', `sha512 does not match the declared hash`);
      // The bytes reach the disk before the name does, so a crash never shows a short image.
      const handle = await open(temp, 'r+');
      try { await handle.sync(); } finally { await handle.close(); }
      await rename(temp, target);
      return stored;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** The image's bytes, or the inclusive byte range asked for. */
  async read(id: string, range?: { start: number; end: number }): Promise<Readable> {
    await this.size(id);
    return createReadStream(this.path(id), range);
  }

  async size(id: string): Promise<number> {
    try {
      return (await stat(this.path(id))).size;
    } catch {
      throw new ImageStoreError('not-found', `no data for image ${id}`);
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }
}
