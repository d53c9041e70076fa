import { open } from 'node:fs/promises';

/** Nova's limit on console output: the last 100 KiB. */
export const CONSOLE_LOG_LIMIT = 100 * 1024;

export interface ConsoleTailOptions {
  /** Only the last this many lines (split at '\n', as Nova does); 0 gives nothing. */
  readonly lines?: number;
  readonly limitBytes?: number;
}

// The last `max` bytes of a file; nothing when it does not exist (a guest that never printed, or not yet started).
async function tail(path: string, max: number): Promise<Buffer> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
  try {
    const { size } = await file.stat();
    const length = Math.min(size, max);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * The end of a guest's console log: at most `limitBytes` (100 KiB), taken from the current file and, when that is
 * shorter, from the end of the one virtlogd rotated out last (`<path>.0`), so a rotation just now does not empty
 * the output. Optionally only the last `lines` lines. Bytes that are not UTF-8 become U+FFFD.
 */
export async function consoleLogTail(path: string, options: ConsoleTailOptions = {}): Promise<string> {
  const limit = options.limitBytes ?? CONSOLE_LOG_LIMIT;
  const current = await tail(path, limit);
  const previous = current.length < limit ? await tail(`${path}.0`, limit - current.length) : Buffer.alloc(0);
  const text = Buffer.concat([previous, current]).toString('utf8');
  if (options.lines === undefined) return text;
  if (options.lines <= 0) return '';
  return text.split('\n').slice(-options.lines).join('\n');
}
