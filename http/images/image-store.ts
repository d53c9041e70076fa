import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredImage {
  readonly size: number;
  readonly md5: string;
  readonly sha512: string;
}

export interface WriteOptions {
  /** A declared size or hash that the bytes do not match fails the write. */
  readonly size?: number;
  readonly md5?: string;
  readonly sha512?: string;
  /** More bytes than this fail the write at once (`too-large`), whatever was declared. */
  readonly maxBytes?: number;
  readonly onProgress?: (bytes: number) => void;
}

export class ImageStoreError extends Error {
  constructor(
    readonly reason: 'size' | 'checksum' | 'too-large' | 'quota' | 'aborted' | 'not-found' | 'bad-id',
    message: string,
  ) {
    super(message);
  }
}

export interface ImageStoreOptions {
  /** This node's name: it marks the partial files of its uploads. */
  readonly nodeId?: string;
  /** A partial file untouched this long belongs to a dead upload, whichever node wrote it. */
  readonly staleMs?: number;
  /** Wall-clock time, which file modification times are compared with. */
  readonly now?: () => number;
}

const PARTIAL = '.partial';
const validId = /^[0-9a-f-]{36}$/;
// `<image id>.<node id>.<12 hex>.partial`; files of the older `<image id>.<hex>.partial` form carry no node.
const partialName = /^([0-9a-f-]{36})\.(?:(.+)\.)?[0-9a-f]+\.partial$/;

/**
 * Image bytes on disk, one file per image. A write goes to a partial file named for the image and
 * this node, is renamed into place only when complete and checked (then the folder is synced, so
 * the name survives a crash), and never leaves a half image. The folder may be shared by several
 * nodes: a node's live uploads touch their partial files at least every `staleMs / 4`, so any node
 * tells a live upload from one whose writer died.
 */
export class ImageStore {
  readonly nodeId: string;
  readonly staleMs: number;
  private readonly now: () => number;
  /** This node's uploads in progress, by image id. */
  private readonly writing = new Map<string, { temp: string; abort: (reason: Error) => void }>();

  constructor(
    readonly dir: string,
    options: ImageStoreOptions = {},
  ) {
    this.nodeId = options.nodeId ?? 'node-1';
    this.staleMs = options.staleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Creates the folder and removes what dead uploads left behind; returns the ids of their images. */
  async open(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true });
    return this.sweep();
  }

  /**
   * Removes partial files of dead uploads: this node's that it is not writing (after a restart,
   * all of them) and any node's untouched for `staleMs`. Another node's live upload is left alone.
   */
  async sweep(): Promise<string[]> {
    const dead: string[] = [];
    for (const name of (await readdir(this.dir)).filter((n) => n.endsWith(PARTIAL))) {
      const parsed = partialName.exec(name);
      const path = join(this.dir, name);
      if (parsed && [...this.writing.values()].some((w) => w.temp === path)) continue;
      const mine = parsed?.[2] === this.nodeId;
      if (!mine && !(await this.stale(path))) continue;
      await rm(path, { force: true });
      if (parsed) dead.push(parsed[1]);
    }
    return [...new Set(dead)];
  }

  /** Whether some node (this one or another) is still writing this image's bytes. */
  async uploading(id: string): Promise<boolean> {
    if (this.writing.has(id)) return true;
    for (const name of await readdir(this.dir)) {
      const parsed = partialName.exec(name);
      if (parsed?.[1] === id && parsed[2] !== this.nodeId && !(await this.stale(join(this.dir, name)))) return true;
    }
    return false;
  }

  path(id: string): string {
    if (!validId.test(id)) throw new ImageStoreError('bad-id', `not an image id: ${id}`);
    return join(this.dir, id);
  }

  async write(id: string, source: Readable, options: WriteOptions = {}): Promise<StoredImage> {
    const target = this.path(id);
    if (this.writing.has(id)) throw new ImageStoreError('aborted', `image ${id} is already being written`);
    const temp = `${target}.${this.nodeId}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          done(new ImageStoreError('too-large', `more than ${options.maxBytes} bytes`));
          return;
        }
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
    const controller = new AbortController();
    this.writing.set(id, { temp, abort: (reason) => controller.abort(reason) });
    // A slow but live upload keeps its partial file fresh, so no node takes it for dead.
    const heartbeat = setInterval(
      () => {
        const t = new Date(this.now());
        utimes(temp, t, t).catch(() => undefined);
      },
      Math.max(250, Math.floor(this.staleMs / 4)),
    );
    heartbeat.unref();
    try {
      await pipeline(detached(source), hashing, createWriteStream(temp, { flags: 'wx' }), { signal: controller.signal });
      const stored = { size, md5: md5.digest('hex'), sha512: sha512.digest('hex') };
      if (options.size !== undefined && size !== options.size) throw new ImageStoreError('size', `${size} bytes, not the declared ${options.size}`);
      if (options.md5 && options.md5 !== stored.md5) throw new ImageStoreError('checksum', `md5 ${stored.md5} does not match ${options.md5}`);
      if (options.sha512 && options.sha512 !== stored.sha512) throw new ImageStoreError('checksum', `sha512 does not match the declared hash`);
      // The bytes reach the disk before the name does, so a crash never shows a short image.
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      await rename(temp, target);
      await this.syncDir();
      return stored;
    } catch (error) {
      await rm(temp, { force: true });
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearInterval(heartbeat);
      this.writing.delete(id);
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

  /** Removes the image's bytes, stopping this node's upload of them if one is in progress. */
  async delete(id: string): Promise<void> {
    const target = this.path(id);
    this.writing.get(id)?.abort(new ImageStoreError('aborted', `image ${id} was deleted during its upload`));
    await rm(target, { force: true });
    await this.syncDir();
  }

  private async stale(path: string): Promise<boolean> {
    try {
      return this.now() - (await stat(path)).mtimeMs >= this.staleMs;
    } catch {
      return false; // gone already: its writer finished or gave up
    }
  }

  // A rename or a removal is durable only once the folder holding the name is synced.
  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * The source's bytes through a stream of their own: a write that fails (too large, deleted) stops
 * reading without destroying the source, so a request can still be answered (413, 410) before
 * its connection closes.
 */
function detached(source: Readable): Readable {
  const through = new PassThrough();
  source.once('error', (error) => through.destroy(error));
  source.once('close', () => {
    if (!source.readableEnded) through.destroy(new Error('the client went away'));
  });
  source.pipe(through);
  return through;
}
