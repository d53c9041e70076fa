// Stratus's libvirt binding (`@stratus/virt`, drivers/libvirt/native/): its types, libvirt's numbers, and the
// connection object with its events. Every call runs off the event loop and answers a Promise; a failure rejects
// with a LibvirtError carrying libvirt's own code, domain and level.
import { createRequire } from 'node:module';

/** virDomainState. */
export const VIR_DOMAIN_STATE = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** virDomainEventType: the `event` of a lifecycle event. */
export const VIR_DOMAIN_EVENT = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** The `detail` of a lifecycle event, per event (virDomainEvent*DetailType); only those Stratus reads. */
export const VIR_DOMAIN_EVENT_DETAIL = {
  DEFINED: { ADDED: 0, UPDATED: 1 },
  UNDEFINED: { REMOVED: 0 },
  STARTED: { BOOTED: 0, RESTORED: 2 },
  SUSPENDED: { PAUSED: 0 },
  RESUMED: { UNPAUSED: 0 },
  STOPPED: { SHUTDOWN: 0, DESTROYED: 1, CRASHED: 2, SAVED: 4, FAILED: 5 },
  SHUTDOWN: { FINISHED: 0, GUEST: 1, HOST: 2 },
} as const;

/** virConnectCloseReason: why libvirt closed a connection under us. */
export const VIR_CONNECT_CLOSE_REASON = { ERROR: 0, EOF: 1, KEEPALIVE: 2, CLIENT: 3 } as const;

/** virDomainShutdownFlagValues (also virDomainRebootFlagValues, which have the same numbers). */
export const VIR_DOMAIN_SHUTDOWN = { DEFAULT: 0, ACPI_POWER_BTN: 1, GUEST_AGENT: 2 } as const;
export const VIR_DOMAIN_REBOOT = { DEFAULT: 0, ACPI_POWER_BTN: 1, GUEST_AGENT: 2 } as const;
/** virDomainDestroyFlagsValues: GRACEFUL sends SIGTERM only, never SIGKILL. */
export const VIR_DOMAIN_DESTROY = { DEFAULT: 0, GRACEFUL: 1 } as const;
/** virDomainUndefineFlagsValues. */
export const VIR_DOMAIN_UNDEFINE = { MANAGED_SAVE: 1, NVRAM: 4 } as const;
/** virDomainXMLFlags. */
export const VIR_DOMAIN_XML = { SECURE: 1, INACTIVE: 2 } as const;
/** virDomainCreateFlags. */
export const VIR_DOMAIN_START = { PAUSED: 1 } as const;
/** virDomainSaveRestoreFlags. */
export const VIR_DOMAIN_SAVE = { RUNNING: 2, PAUSED: 4 } as const;
/** virConnectListAllDomainsFlags (0 lists every domain). */
export const VIR_CONNECT_LIST_DOMAINS = { ACTIVE: 1, INACTIVE: 2 } as const;

/** virErrorNumber values Stratus branches on (libvirt/virterror.h). */
export const VIR_ERR = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  OPERATION_DENIED: 29,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  XML_DETAIL: 35,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  AUTH_FAILED: 45,
  OPERATION_INVALID: 55,
  OPERATION_TIMEOUT: 68,
  ARGUMENT_UNSUPPORTED: 74,
  OPERATION_UNSUPPORTED: 84,
} as const;

/** virErrorDomain values used here: the part of libvirt that raised an error. */
export const VIR_FROM = { NONE: 0, DOM: 6, RPC: 7, QEMU: 10, TEST: 12, REMOTE: 13 } as const;

/** What every call rejects with: libvirt's error as virGetLastError() gave it, in the thread that made the call. */
export interface LibvirtError extends Error {
  readonly name: 'LibvirtError';
  /** virErrorNumber (VIR_ERR). */
  readonly code: number;
  /** virErrorDomain (VIR_FROM). */
  readonly domain: number;
  /** virErrorLevel: 1 warning, 2 error. */
  readonly level: number;
}

export function isLibvirtError(error: unknown): error is LibvirtError {
  return error instanceof Error && error.name === 'LibvirtError' && typeof (error as { code?: unknown }).code === 'number';
}

export interface NodeInfo {
  readonly model: string;
  readonly memoryKiB: number;
  readonly cpus: number;
  readonly mhz: number;
  readonly nodes: number;
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

export interface VersionInfo {
  /** virConnectGetType: 'QEMU', 'TEST', … */
  readonly type: string;
  /** virConnectGetVersion: major × 1,000,000 + minor × 1,000 + release. */
  readonly hypervisorVersion: number;
  /** virConnectGetLibVersion, encoded the same way. */
  readonly libVersion: number;
}

export interface DomainSummary {
  readonly uuid: string;
  readonly name: string;
  /** Null when the domain is not running. */
  readonly id: number | null;
  readonly state: number;
  readonly reason: number;
}

export interface DomainInfo {
  /** VIR_DOMAIN_STATE, with its reason (virDomainGetState). */
  readonly state: number;
  readonly reason: number;
  readonly maxMemKiB: number;
  readonly memoryKiB: number;
  readonly vcpus: number;
  readonly cpuTimeNs: number;
}

/** A domain handle, from lookupByUUID, lookupByName or defineXML. */
export interface VirtDomain {
  readonly uuid: string;
  readonly name: string;
  /** Starts a defined domain (virDomainCreateWithFlags; VIR_DOMAIN_START). */
  create(flags?: number): Promise<void>;
  /** virDomainDestroyFlags (VIR_DOMAIN_DESTROY). */
  destroy(flags?: number): Promise<void>;
  /** virDomainUndefineFlags (VIR_DOMAIN_UNDEFINE). */
  undefine(flags?: number): Promise<void>;
  /** virDomainShutdownFlags (VIR_DOMAIN_SHUTDOWN): asks the guest; answers before it is off. */
  shutdown(flags?: number): Promise<void>;
  /** virDomainReboot (VIR_DOMAIN_REBOOT). */
  reboot(flags?: number): Promise<void>;
  /** virDomainReset: the reset button, no guest involved. */
  reset(): Promise<void>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
  /** virDomainSaveFlags: memory to `file`, domain stopped (VIR_DOMAIN_SAVE). */
  save(file: string, flags?: number): Promise<void>;
  /** virDomainManagedSave: libvirt keeps the image; the next create() restores it. */
  managedSave(flags?: number): Promise<void>;
  hasManagedSaveImage(): Promise<boolean>;
  managedSaveRemove(): Promise<void>;
  info(): Promise<DomainInfo>;
  /** The running domain's id; null when it is not running. */
  id(): Promise<number | null>;
  /** virDomainGetXMLDesc (VIR_DOMAIN_XML). */
  xml(flags?: number): Promise<string>;
}

export interface LifecycleEvent {
  readonly uuid: string;
  readonly name: string;
  /** VIR_DOMAIN_EVENT. */
  readonly event: number;
  /** VIR_DOMAIN_EVENT_DETAIL[event]. */
  readonly detail: number;
}

export interface OpenOptions {
  readonly readonly?: boolean;
  /** Seconds between keepalive probes on remote connections (default 5; 0 turns keepalive off). */
  readonly keepAliveInterval?: number;
  /** Probes unanswered before libvirt closes the connection with reason KEEPALIVE (default 3). */
  readonly keepAliveCount?: number;
  /** Whether to register for lifecycle events (default true). */
  readonly lifecycle?: boolean;
}

type NativeEvent = ({ kind: 'lifecycle' } & LifecycleEvent) | { kind: 'close'; reason: number };

interface NativeConnection {
  open(uri: string, options: OpenOptions, listener: (event: NativeEvent) => void): Promise<void>;
  close(): Promise<void>;
  isAlive(): Promise<boolean>;
  hostname(): Promise<string>;
  nodeInfo(): Promise<NodeInfo>;
  version(): Promise<VersionInfo>;
  capabilities(): Promise<string>;
  listAllDomains(flags?: number): Promise<DomainSummary[]>;
  lookupByUUID(uuid: string): Promise<VirtDomain>;
  lookupByName(name: string): Promise<VirtDomain>;
  defineXML(xml: string): Promise<VirtDomain>;
  restore(file: string, flags?: number): Promise<void>;
}

interface Addon {
  Connection: new () => NativeConnection;
  /** libvirt's numbers as the headers it was compiled against define them (the tests hold the constants above to them). */
  constants: Readonly<Record<string, number>>;
}

// A CommonJS package: the addon is a .node file, which only require() loads.
export const addon = createRequire(import.meta.url)('@stratus/virt') as Addon;

/**
 * One libvirt connection. Lifecycle events and the close of the connection under us (daemon gone, keepalive
 * timed out) arrive on the listeners; neither keeps the process alive.
 */
export class VirtConnection {
  private readonly lifecycleListeners = new Set<(event: LifecycleEvent) => void>();
  private readonly closeListeners = new Set<(reason: number) => void>();
  private lost: number | undefined;

  private constructor(
    readonly uri: string,
    private readonly native: NativeConnection,
  ) {}

  static async open(uri: string, options: OpenOptions = {}): Promise<VirtConnection> {
    const native = new addon.Connection();
    const connection = new VirtConnection(uri, native);
    await native.open(uri, options, (event) => connection.dispatch(event));
    return connection;
  }

  /** The reason libvirt closed this connection under us (VIR_CONNECT_CLOSE_REASON), if it did. */
  get closedReason(): number | undefined {
    return this.lost;
  }

  onLifecycle(listener: (event: LifecycleEvent) => void): () => void {
    this.lifecycleListeners.add(listener);
    return () => this.lifecycleListeners.delete(listener);
  }

  onClose(listener: (reason: number) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Deregisters the callbacks and closes the connection; closing twice is harmless. */
  close(): Promise<void> {
    return this.native.close();
  }

  /** virConnectIsAlive: false once the connection is closed or broken (no round trip). */
  isAlive(): Promise<boolean> {
    return this.native.isAlive();
  }

  hostname(): Promise<string> {
    return this.native.hostname();
  }

  nodeInfo(): Promise<NodeInfo> {
    return this.native.nodeInfo();
  }

  version(): Promise<VersionInfo> {
    return this.native.version();
  }

  capabilities(): Promise<string> {
    return this.native.capabilities();
  }

  /** Every domain (or those `flags` select, VIR_CONNECT_LIST_DOMAINS) with its state, in one worker. */
  listAllDomains(flags = 0): Promise<DomainSummary[]> {
    return this.native.listAllDomains(flags);
  }

  lookupByUUID(uuid: string): Promise<VirtDomain> {
    return this.native.lookupByUUID(uuid);
  }

  lookupByName(name: string): Promise<VirtDomain> {
    return this.native.lookupByName(name);
  }

  /** Defines (or redefines) a persistent domain. */
  defineXML(xml: string): Promise<VirtDomain> {
    return this.native.defineXML(xml);
  }

  /** virDomainRestoreFlags: brings a domain saved to `file` back (VIR_DOMAIN_SAVE). */
  restore(file: string, flags = 0): Promise<void> {
    return this.native.restore(file, flags);
  }

  private dispatch(event: NativeEvent): void {
    // One listener's exception must not keep the others from hearing the event.
    const each = <T>(listeners: Set<(value: T) => void>, value: T) => {
      for (const listener of listeners) {
        try {
          listener(value);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    };
    if (event.kind === 'close') {
      this.lost = event.reason;
      each(this.closeListeners, event.reason);
    } else {
      const { uuid, name, event: type, detail } = event;
      each(this.lifecycleListeners, { uuid, name, event: type, detail });
    }
  }
}
