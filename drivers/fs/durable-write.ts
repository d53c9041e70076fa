import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface DurableWriteOptions {
  readonly mode?: number;
  /** Refuse (EEXIST) rather than replace a file already at the path. */
  readonly exclusive?: boolean;
}

/**
 * Writes a whole file so that after a crash the path holds either the old content or the new, never a
 * torn or empty file: the bytes go to a temporary file beside it, are fsynced, then the temporary file is
 * renamed (or, exclusive, hard-linked, which refuses an existing path) into place and the directory is
 * fsynced so that the new name itself survives a power loss.
 */
export function writeFileDurably(path: string, content: string | Buffer, options: DurableWriteOptions = {}): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', options.mode ?? 0o600);
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    if (options.exclusive) {
      linkSync(temp, path);
      rmSync(temp);
    } else {
      renameSync(temp, path);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(dir);
}

/** Makes the entries of a directory (a rename, a new or removed name) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
