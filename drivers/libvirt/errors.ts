// libvirt's errors by their codes (virterror.h), as Nova's libvirt driver branches on them.
// `@unraid/libvirt` keeps only the message of libvirt's last error (its `code` and `domain` are
// always -1: the addon's worker reads virGetLastError()->message alone), so the code is recovered
// here, in one table, from the fixed text libvirt puts first: virErrorMsg's template for the code
// ("Domain not found: %s"), or, for system errors (virReportSystemError), the call that failed.
// Callers branch on `code` and `domain`, never on the text.

/** virErrorNumber values used here (libvirt/virterror.h). */
export const VIR_ERR = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  AUTH_FAILED: 45,
  OPERATION_INVALID: 55,
  OPERATION_TIMEOUT: 68,
  OPERATION_UNSUPPORTED: 84,
} as const;

/** virErrorDomain values used here: where in libvirt the error arose. */
export const VIR_FROM = { NONE: 0, DOM: 6, RPC: 7, REMOTE: 13 } as const;

export type VirErrorName = keyof typeof VIR_ERR;

interface Row {
  readonly start: string;
  readonly code: VirErrorName;
  readonly domain: number;
}

// Longest first where one start is a prefix of another. System errors on the client's socket and
// the remote driver's "client socket is closed" come from libvirt's RPC layer (virnetsocket.c,
// virnetclient.c), so they carry VIR_FROM_RPC, as libvirt reports them.
const TABLE: readonly Row[] = [
  { start: 'Domain not found', code: 'NO_DOMAIN', domain: VIR_FROM.DOM },
  { start: 'Requested operation is not valid', code: 'OPERATION_INVALID', domain: VIR_FROM.NONE },
  { start: 'operation failed', code: 'OPERATION_FAILED', domain: VIR_FROM.NONE },
  { start: 'Operation not supported', code: 'OPERATION_UNSUPPORTED', domain: VIR_FROM.NONE },
  { start: 'this function is not supported by the connection driver', code: 'NO_SUPPORT', domain: VIR_FROM.NONE },
  { start: 'Timed out during operation', code: 'OPERATION_TIMEOUT', domain: VIR_FROM.NONE },
  { start: 'authentication failed', code: 'AUTH_FAILED', domain: VIR_FROM.NONE },
  { start: 'invalid argument', code: 'INVALID_ARG', domain: VIR_FROM.NONE },
  { start: 'XML error', code: 'XML_ERROR', domain: VIR_FROM.NONE },
  { start: 'invalid connection pointer', code: 'INVALID_CONN', domain: VIR_FROM.NONE },
  { start: 'no connection driver available', code: 'NO_CONNECT', domain: VIR_FROM.NONE },
  { start: 'RPC error', code: 'RPC', domain: VIR_FROM.RPC },
  { start: 'internal error: client socket is closed', code: 'INTERNAL_ERROR', domain: VIR_FROM.RPC },
  { start: 'internal error', code: 'INTERNAL_ERROR', domain: VIR_FROM.NONE },
  { start: 'Cannot write data', code: 'SYSTEM_ERROR', domain: VIR_FROM.RPC },
  { start: 'Cannot recv data', code: 'SYSTEM_ERROR', domain: VIR_FROM.RPC },
  { start: 'Cannot read data', code: 'SYSTEM_ERROR', domain: VIR_FROM.RPC },
  { start: 'End of file while reading data', code: 'SYSTEM_ERROR', domain: VIR_FROM.RPC },
  { start: 'Failed to connect socket', code: 'SYSTEM_ERROR', domain: VIR_FROM.RPC },
];

/** A libvirt error with its code restored. */
export class LibvirtFault extends Error {
  readonly code: number;
  readonly domain: number;
  constructor(
    message: string,
    readonly codeName: VirErrorName | 'UNKNOWN',
    domain: number,
  ) {
    super(message);
    this.name = 'LibvirtFault';
    this.code = codeName === 'UNKNOWN' ? -1 : VIR_ERR[codeName];
    this.domain = domain;
  }
}

/** The error a binding call threw, as a LibvirtFault (unknown texts keep code -1). */
export function classify(error: unknown): LibvirtFault {
  if (error instanceof LibvirtFault) return error;
  const message = error instanceof Error ? error.message : String(error);
  const row = TABLE.find((r) => message.startsWith(r.start));
  const fault = new LibvirtFault(message, row?.code ?? 'UNKNOWN', row?.domain ?? VIR_FROM.NONE);
  if (error instanceof Error && error.stack) fault.stack = error.stack;
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
