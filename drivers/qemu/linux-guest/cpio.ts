/** One entry of an initramfs: a folder, a file, a symbolic link or a character device. */
export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Buffer; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'chardev'; readonly path: string; readonly major: number; readonly minor: number; readonly mode: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/**
 * A cpio archive in the kernel's `newc` format (what an initramfs is), owned by root with a fixed time, so the same
 * entries always give the same bytes. Device nodes need no privilege here: they are only described.
 */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const record = (ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    push(Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1'));
    push(nameBytes);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  entries.forEach((e, index) => {
    const ino = index + 1;
    if (e.kind === 'dir') record(ino, S_IFDIR | (e.mode ?? 0o755), e.path, Buffer.alloc(0));
    else if (e.kind === 'file') record(ino, S_IFREG | e.mode, e.path, e.data);
    else if (e.kind === 'symlink') record(ino, S_IFLNK | 0o777, e.path, Buffer.from(e.target));
    else record(ino, S_IFCHR | e.mode, e.path, Buffer.alloc(0), [e.major, e.minor]);
  });
  record(0, 0, 'TRAILER!!!', Buffer.alloc(0));
  return Buffer.concat(parts);
}
