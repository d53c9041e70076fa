import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A host's cache of base files (Nova's `_base` under instances_path): each image's data as downloaded once, and
 * the formatted ephemeral and swap bases, shared read-only by the host's instances through their overlays. A base
 * is written under a temporary name, fsynced and renamed into place, so no half-written base is ever visible, a
 * kill -9 included (temporary files left by a killed process are removed when the cache opens). Concurrent
 * requests for one base make it once. A base's modification time is its last use, on the cloud's clock.
 */
export class ImageCache {
  private readonly making = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly now: () => number,
  ) {}

  /** Removes what a killed process left half-written; only this host's own process writes its cache. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) if (name.endsWith('.part')) await rm(join(this.dir, name), { force: true });
  }

  /** The base of an image, its name derived from the id as Nova derives it (sha1), fetched by `write` on first use. */
  image(imageId: string, write: (dest: string) => Promise<void>): Promise<string> {
    return this.base(createHash('sha1').update(imageId).digest('hex'), write);
  }

  /**
   * An ephemeral disk's base of this size, formatted on the host as Nova formats one (label ephemeral0): ext4 for an
   * image whose os_type is linux, else vfat (nova.virt.disk.api's defaults when default_ephemeral_format is unset).
   */
  ephemeral(sizeGb: number, fs: 'vfat' | 'ext4' = 'vfat'): Promise<string> {
    return this.base(`ephemeral_${whole(sizeGb)}_${fs}`, async (dest) => {
      await sized(dest, sizeGb * 1024 ** 3);
      if (fs === 'ext4') await run('mkfs.ext4', ['-q', '-F', '-L', 'ephemeral0', dest]);
      else await run('mkfs.vfat', ['-n', 'ephemeral0', dest]);
    });
  }

  /** A swap disk's base of this size in MiB, made by mkswap as Nova makes one. */
  swap(sizeMb: number): Promise<string> {
    return this.base(`swap_${whole(sizeMb)}`, async (dest) => {
      await sized(dest, sizeMb * 1024 ** 2);
      await run('mkswap', [dest]);
    });
  }

  /** Marks bases used now (at each boot, and for the bases running instances hold at each sweep). */
  async touch(paths: Iterable<string>): Promise<void> {
    const at = new Date(this.now());
    for (const path of paths) await utimes(path, at, at).catch(() => {});
  }

  /**
   * Removes the bases no instance uses whose last use is `maxAgeMs` or more ago (Nova's
   * remove_unused_original_minimum_age_seconds); answers the names removed.
   */
  async prune(inUse: ReadonlySet<string>, maxAgeMs: number): Promise<string[]> {
    const removed: string[] = [];
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await this.touch(names.map((n) => join(this.dir, n)).filter((p) => inUse.has(p)));
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith('.part') || inUse.has(path) || this.making.has(name)) continue;
      const info = await stat(path).catch(() => undefined);
      if (!info || this.now() - info.mtimeMs < maxAgeMs) continue;
      await rm(path, { force: true });
      removed.push(name);
    }
    return removed;
  }

  private base(name: string, write: (dest: string) => Promise<void>): Promise<string> {
    const path = join(this.dir, name);
    const pending = this.making.get(name);
    if (pending) return pending;
    const made = (async () => {
      if (!existsSync(path)) {
        await mkdir(this.dir, { recursive: true });
        const temp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.part`);
        try {
          await write(temp);
          await fsync(temp);
          await rename(temp, path);
          await fsync(this.dir);
        } finally {
          await rm(temp, { force: true });
        }
      }
      await this.touch([path]);
      return path;
    })().finally(() => this.making.delete(name));
    this.making.set(name, made);
    return made;
  }
}

const whole = (n: number) => {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`a disk size must be a positive whole number, not ${n}`);
  return String(n);
};

async function sized(path: string, bytes: number): Promise<void> {
  await (await open(path, 'wx', 0o644)).close();
  await truncate(path, bytes);
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
