import { DomainState, Hypervisor, type Domain } from '@unraid/libvirt';
import { domainXml, type DomainSpec } from './domain-xml.js';
import { PowerState, powerStateOf } from './power-state.js';

export interface DomainStatus {
  readonly uuid: string;
  /** The hypervisor's id of a running domain; null when it is not running. */
  readonly id: number | null;
  readonly powerState: number;
}

export interface NodeCapacity { readonly hostname: string; readonly vcpus: number; readonly memoryMb: number }

// The binding does not reconnect: after the daemon restarts, every call on the old handle fails with one of these.
const connectionLost = /client socket is closed|Broken pipe|Cannot write data|End of file|not connected|no connection/i;
const notFound = /Domain not found|no domain with matching/i;
const alreadyRunning = /is already running|already active/i;

/**
 * One hypervisor through `@unraid/libvirt`: every domain operation is keyed by instance UUID
 * and idempotent, so a retried message finds the work already done rather than failing.
 */
export class LibvirtConnection {
  private hypervisor: Hypervisor | undefined;
  private opening: Promise<Hypervisor> | undefined;

  constructor(readonly uri: string) {}

  /** Defines and starts the domain unless it already runs; answers its status. */
  async ensureRunning(spec: DomainSpec): Promise<DomainStatus> {
    return this.call(async (h) => {
      // Defining again what is defined already is harmless, and cheaper than a lookup that fails for every new domain.
      const domain = await h.domainDefineXML(domainXml(spec));
      try {
        await domain.create();
      } catch (error) {
        // A retried spawn finds its guest running already: that is the success it was after.
        if (!alreadyRunning.test((error as Error).message)) throw error;
      }
      return { uuid: spec.uuid, id: await domain.getID(), powerState: PowerState.RUNNING };
    });
  }

  /** Destroys and undefines the domain; a domain already gone is success. */
  async remove(uuid: string): Promise<boolean> {
    return this.call(async (h) => {
      const domain = await this.lookup(h, uuid);
      if (!domain) return false;
      const info = await domain.getInfo();
      if (info.state !== DomainState.SHUTOFF) await ignoreMissing(() => domain.destroy());
      await ignoreMissing(() => domain.undefine());
      return true;
    });
  }

  async status(uuid: string, known?: Domain): Promise<DomainStatus | undefined> {
    return this.call(async (h) => {
      const domain = known ?? await this.lookup(h, uuid);
      if (!domain) return undefined;
      const info = await domain.getInfo();
      return { uuid, id: await domain.getID(), powerState: powerStateOf(info.state) };
    }) as Promise<DomainStatus>;
  }

  /** Every domain the hypervisor has, running or defined. */
  async domains(): Promise<DomainStatus[]> {
    return this.call(async (h) => {
      const all = await h.connectListAllDomains();
      return Promise.all(all.map(async (d) => ({ uuid: await d.getUUIDString(), id: await d.getID(), powerState: powerStateOf((await d.getInfo()).state) })));
    });
  }

  async capacity(): Promise<NodeCapacity> {
    return this.call(async (h) => {
      const info = await h.nodeGetInfo();
      return { hostname: await h.connectGetHostname(), vcpus: info.cpus, memoryMb: Math.floor(info.memory / 1024) };
    });
  }

  async close(): Promise<void> {
    const h = this.hypervisor;
    this.hypervisor = undefined;
    await h?.connectClose().catch(() => {});
  }

  private async lookup(h: Hypervisor, uuid: string): Promise<Domain | undefined> {
    try {
      return await h.domainLookupByUUIDString(uuid);
    } catch (error) {
      if (notFound.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  /** Runs an operation, reconnecting once if the daemon was restarted under us. */
  private async call<T>(operation: (h: Hypervisor) => Promise<T>): Promise<T> {
    try {
      return await operation(await this.open());
    } catch (error) {
      if (!connectionLost.test((error as Error).message)) throw error;
      this.hypervisor = undefined;
      return operation(await this.open());
    }
  }

  private open(): Promise<Hypervisor> {
    if (this.hypervisor) return Promise.resolve(this.hypervisor);
    this.opening ??= (async () => {
      const h = new Hypervisor({ uri: this.uri });
      try {
        await h.connectOpen();
        this.hypervisor = h;
        return h;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }
}

async function ignoreMissing(operation: () => Promise<unknown>): Promise<void> {
  try { await operation(); } catch (error) { if (!notFound.test((error as Error).message) && !/not running|is not active/i.test((error as Error).message)) throw error; }
}
