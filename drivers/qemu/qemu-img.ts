import { execFile } from 'node:child_process';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * What qemu-img may use, as Nova bounds it (nova/virt/images.py QEMU_IMG_LIMITS: 30 s of CPU, 1 GiB of address
 * space): an image is hostile input, and a crafted header can make qemu-img allocate or loop without end.
 */
export interface QemuImgLimits {
  readonly cpuSeconds: number;
  readonly addressSpaceBytes: number;
}

export const NOVA_QEMU_IMG_LIMITS: QemuImgLimits = { cpuSeconds: 30, addressSpaceBytes: 1024 ** 3 };

/** qemu-img failed, or was stopped by its limits (then `limited` says which signal ended it). */
export class QemuImgFailed extends Error {
  constructor(
    message: string,
    readonly limited: boolean,
  ) {
    super(message);
  }
}

/** The formats a disk is ever opened as here: the one Glance names, never one qemu-img guessed. */
export type DiskFormat = 'raw' | 'qcow2';

// What `qemu-img info --output=json` says that matters here; the rest is let through unread.
const Info = Type.Object({
  'virtual-size': Type.Integer({ minimum: 0 }),
  format: Type.String(),
  'backing-filename': Type.Optional(Type.String()),
  'full-backing-filename': Type.Optional(Type.String()),
  'format-specific': Type.Optional(
    Type.Object({ type: Type.String(), data: Type.Optional(Type.Object({ 'data-file': Type.Optional(Type.String()) })) }),
  ),
});
export type ImageInfo = Static<typeof Info>;

/** qemu-img's output stays small; anything larger is not qemu-img's honest answer. */
const MAX_OUTPUT = 1024 * 1024;

/**
 * Runs qemu-img under the limits through util-linux's prlimit, which sets them in the child before it execs
 * qemu-img (what oslo.concurrency's prlimit wrapper does for Nova). `LC_ALL=C` keeps its messages parseable.
 * glibc reserves up to 64 MiB of address space per thread's malloc arena, so a busy machine's thread pool could
 * exhaust the address-space bound of a small `create` and abort it: `MALLOC_ARENA_MAX` keeps that reserve small.
 */
export function qemuImg(args: readonly string[], limits: QemuImgLimits = NOVA_QEMU_IMG_LIMITS): Promise<string> {
  const bound = [`--cpu=${whole(limits.cpuSeconds)}`, `--as=${whole(limits.addressSpaceBytes)}`, '--', 'qemu-img', ...args];
  return new Promise((resolve, reject) => {
    execFile('prlimit', bound, { env: { ...process.env, LC_ALL: 'C', MALLOC_ARENA_MAX: '2' }, maxBuffer: MAX_OUTPUT }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const signal = (error as { signal?: string | null }).signal;
      // SIGXCPU/SIGKILL past the CPU limit; an allocation past the address space aborts (glib's g_malloc) or fails.
      const limited =
        signal === 'SIGXCPU' ||
        signal === 'SIGKILL' ||
        signal === 'SIGABRT' ||
        /Cannot allocate|Could not allocate|Out of memory|Failed to allocate/i.test(stderr);
      const why = signal ? `killed by ${signal}` : stderr.trim().split('\n').slice(-1)[0] || error.message;
      reject(new QemuImgFailed(`qemu-img ${args[0]} failed: ${why}`.slice(0, 500), limited));
    });
  });
}

const whole = (n: number) => {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`a qemu-img limit must be a positive whole number, not ${n}`);
  return String(n);
};

/** What qemu-img reads from the file, opened as `format` (`-f`: never probed, so a raw image is never read as qcow2). */
export async function imageInfo(path: string, format: DiskFormat, limits?: QemuImgLimits): Promise<ImageInfo> {
  const out = await qemuImg(['info', '--output=json', '-f', format, path], limits);
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    throw new QemuImgFailed('qemu-img info answered no JSON', false);
  }
  if (!Value.Check(Info, parsed)) throw new QemuImgFailed('qemu-img info answered an unexpected shape', false);
  return parsed;
}

/** A qcow2 overlay on `base` (read as `baseFormat`, written into the overlay's header), `sizeBytes` large. */
export async function createOverlay(path: string, base: string, baseFormat: DiskFormat, sizeBytes: number, limits?: QemuImgLimits) {
  await qemuImg(['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, path, String(sizeBytes)], limits);
}

/** An empty disk of this format and size (a blank root disk beside an ISO). */
export async function createBlank(path: string, format: DiskFormat, sizeBytes: number, limits?: QemuImgLimits) {
  await qemuImg(['create', '-q', '-f', format, path, String(sizeBytes)], limits);
}
