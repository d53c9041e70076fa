import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The disk cache mode for guests whose disks live in `dir`: 'none' (O_DIRECT: no second copy in the host's page
 * cache, and live migration accepts it as safe) where the filesystem allows O_DIRECT, else 'writethrough', which
 * is as safe for the guest's data; some filesystems (tmpfs before Linux 6.6, some FUSE ones) refuse O_DIRECT, and
 * QEMU then fails to open the disk with cache='none'.
 */
export function diskCacheFor(dir: string): 'none' | 'writethrough' {
  const probe = mkdtempSync(join(dir, '.direct-io-'));
  try {
    closeSync(openSync(join(probe, 'probe'), constants.O_CREAT | constants.O_WRONLY | constants.O_DIRECT));
    return 'none';
  } catch {
    return 'writethrough';
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
