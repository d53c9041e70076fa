import { open } from 'node:fs/promises';

/** What a qcow2 header says that could make QEMU open another file than the image itself. */
export interface Qcow2Header {
  /** The backing file named in the header, if any. */
  readonly backingFile?: string;
  /** The incompatible-features bit for an external data file (qcow2 v3). */
  readonly externalDataFile: boolean;
}

const MAGIC = 0x514649fb; // "QFI\xfb"
const HEADER_BYTES = 104;
const EXTERNAL_DATA_FILE = 1n << 2n;
// qemu's own bound (block/qcow2.h): a longer backing file name is refused by qemu too.
const MAX_BACKING_NAME = 1023;

/**
 * Reads the header of a file claimed to be qcow2 before qemu-img ever opens it (Nova's format inspector does the
 * same): a header naming a backing file or a data file would make qemu-img info open that host file too. Answers
 * undefined for a file that is not qcow2 at all.
 */
export async function readQcow2Header(path: string): Promise<Qcow2Header | undefined> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await file.read(head, 0, HEADER_BYTES, 0);
    if (bytesRead < 72 || head.readUInt32BE(0) !== MAGIC) return undefined;
    const version = head.readUInt32BE(4);
    const backingOffset = head.readBigUInt64BE(8);
    const backingSize = head.readUInt32BE(16);
    const incompatible = version >= 3 && bytesRead >= 80 ? head.readBigUInt64BE(72) : 0n;
    let backingFile: string | undefined;
    if (backingOffset > BigInt(Number.MAX_SAFE_INTEGER)) backingFile = '(beyond any file)';
    else if (backingOffset !== 0n) {
      const length = Math.min(backingSize, MAX_BACKING_NAME);
      const name = Buffer.alloc(length);
      await file.read(name, 0, length, Number(backingOffset));
      backingFile = name.toString('utf8') || '(empty name)';
    }
    return { ...(backingFile !== undefined ? { backingFile } : {}), externalDataFile: (incompatible & EXTERNAL_DATA_FILE) !== 0n };
  } finally {
    await file.close();
  }
}
