// libvirt's errors by their codes (virterror.h), as Nova's libvirt driver branches on them. Our binding
// (virt.ts) rejects with libvirt's own virErrorNumber and virErrorDomain, read in the thread that made the
// call; callers branch on `code` and `domain`, never on the text.
import { isLibvirtError, VIR_ERR, VIR_FROM } from './virt.js';

export { VIR_ERR, VIR_FROM };

export type VirErrorName = keyof typeof VIR_ERR;

const NAMES = new Map<number, VirErrorName>(Object.entries(VIR_ERR).map(([name, code]) => [code, name as VirErrorName]));

/** A libvirt error with its code; any other error classified as one has code -1. */
export class LibvirtFault extends Error {
  /** The code's name, for the codes VIR_ERR lists. */
  readonly codeName: VirErrorName | 'UNKNOWN';
  constructor(
    message: string,
    readonly code: number,
    readonly domain: number = VIR_FROM.NONE,
  ) {
    super(message);
    this.name = 'LibvirtFault';
    this.codeName = NAMES.get(code) ?? 'UNKNOWN';
  }
}

/** The error a binding call threw, as a LibvirtFault. */
export function classify(error: unknown): LibvirtFault {
  if (error instanceof LibvirtFault) return error;
  const fault = isLibvirtError(error)
    ? new LibvirtFault(error.message, error.code, error.domain)
    : new LibvirtFault(error instanceof Error ? error.message : String(error), -1);
  if (error instanceof Error && error.stack) fault.stack = error.stack;
  // Not libvirt's: the original stays reachable, for a caller that branches on what made a domain fail (its disks).
  if (!isLibvirtError(error) && error instanceof Error) Object.defineProperty(fault, 'cause', { value: error });
  return fault;
}

/** True for a libvirt error of one of these codes. */
export const hasCode = (error: unknown, ...codes: VirErrorName[]): boolean => codes.some((c) => classify(error).code === VIR_ERR[c]);

/**
 * The connection to the daemon is gone (Nova's libvirt host._connect_auth_cb / _test_connection:
 * a system or internal error from the remote or RPC layer): open a new connection.
 */
export function isConnectionLost(error: unknown): boolean {
  const f = classify(error);
  if (f.code === VIR_ERR.NO_CONNECT || f.code === VIR_ERR.INVALID_CONN || f.code === VIR_ERR.RPC) return true;
  return (f.code === VIR_ERR.SYSTEM_ERROR || f.code === VIR_ERR.INTERNAL_ERROR) && (f.domain === VIR_FROM.RPC || f.domain === VIR_FROM.REMOTE);
}

/** The hypervisor cannot be reached: its daemon is down or the connection cannot be opened again. */
export class HypervisorUnavailable extends Error {
  constructor(
    readonly uri: string,
    override readonly cause: LibvirtFault,
  ) {
    super(`hypervisor ${uri} is unreachable: ${cause.message}`);
    this.name = 'HypervisorUnavailable';
  }
}
