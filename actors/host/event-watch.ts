import type { Clock, Timer } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import { VIR_CONNECT_CLOSE_REASON, VirtConnection } from '../../drivers/libvirt/virt.js';

// One event connection per real hypervisor, on the node that runs its daemon: lifecycle events become messages
// to the host actor; a connection that closes under the node (daemon killed, keepalive unanswered) marks the host
// down and is opened again until the daemon answers, and then everything is synced, for what changed meanwhile.

export interface WatchOptions {
  readonly uri: string;
  /** Sends a transient message to the host actor. */
  readonly tell: (type: 'domainEvent' | 'hypervisorLost' | 'syncPower', payload: object) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retryMs: number;
  readonly keepAliveInterval: number;
  readonly keepAliveCount: number;
  /** TEST-ONLY fault hook: events are dropped while it says so, as if the event connection were cut. */
  readonly dropEvents?: () => boolean;
}

const REASONS = Object.fromEntries(Object.entries(VIR_CONNECT_CLOSE_REASON).map(([name, n]) => [n, name.toLowerCase()]));

/** Starts watching; answers a function that stops it. */
export function watchHypervisor(o: WatchOptions): () => Promise<void> {
  let connection: VirtConnection | undefined;
  let timer: Timer | undefined;
  let stopped = false;
  let lost = false;

  const open = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      const c = await VirtConnection.open(o.uri, { lifecycle: true, keepAliveInterval: o.keepAliveInterval, keepAliveCount: o.keepAliveCount });
      if (stopped) return void (await c.close());
      connection = c;
      c.onLifecycle((e) => {
        if (!o.dropEvents?.()) o.tell('domainEvent', { instance_uuid: e.uuid, event: e.event, detail: e.detail });
      });
      c.onClose((reason) => {
        if (stopped || connection !== c) return;
        connection = undefined;
        lost = true;
        o.logger.warn({ uri: o.uri, reason: REASONS[reason] ?? reason }, 'hypervisor event connection closed; reconnecting');
        o.tell('hypervisorLost', { reason: `closed (${REASONS[reason] ?? reason})` });
        void c.close().catch(() => {});
        timer = o.clock.setTimeout(() => void open(), o.retryMs);
      });
      // Back after a loss: whatever changed while nobody listened is read now.
      if (lost) o.tell('syncPower', {});
      lost = false;
    } catch (error) {
      if (!lost) o.logger.warn({ uri: o.uri, err: error }, 'hypervisor event connection not opened; retrying');
      lost = true;
      timer = o.clock.setTimeout(() => void open(), o.retryMs);
    }
  };
  void open();
  return async () => {
    stopped = true;
    o.clock.clearTimeout(timer);
    await connection?.close().catch(() => {});
    connection = undefined;
  };
}
