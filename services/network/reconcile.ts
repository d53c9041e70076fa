import { QueryTypes } from 'sequelize';
import type { Clock, Timer } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { NetworkDeps } from './index.js';

export const fixedIpsCount = (d: NetworkDeps, port: string) => d.models.NeutronIpAllocation.count({ where: { port_id: port } });

/** Rows one pass looks at, at most: a pass is bounded whatever the backlog; the next one takes the rest. */
const BATCH = 200;

interface LinkRow {
  port_id: string;
  instance_uuid: string;
  preserve_on_delete: boolean | number;
  server: string | null;
  host: string | null;
  deleted_at: string | Date | null;
  port: string | null;
  device_id: string | null;
  binding_host_id: string | null;
}

export interface ReconcileCounts {
  bound: number;
  removed: number;
  released: number;
}

/**
 * Brings servers' ports in line with the servers, from the durable rows alone (so it is right after any crash):
 * a port follows its server's host (a move, an unshelve; an offloaded server's ports unbound), except while a server
 * with no host yet is being spawned: the compute host it is landing on has bound them (its guest's taps hang on that); a deleted server's
 * ports are removed, the user's own unbound; a port made for a server whose boot never committed (older than
 * `orphanBefore`) is removed; links to ports gone or given to another device are dropped.
 */
export async function reconcilePorts(d: NetworkDeps, orphanBefore: Date): Promise<ReconcileCounts> {
  const sequelize = d.models.InstancePort.sequelize!;
  const counts: ReconcileCounts = { bound: 0, removed: 0, released: 0 };
  const links = await sequelize.query<LinkRow>(
    `SELECT l.port_id, l.instance_uuid, l.preserve_on_delete, i.uuid AS server, i.host, i.deleted_at,
            p.id AS port, p.device_id, p.binding_host_id
       FROM instance_ports l
       LEFT JOIN instances i ON i.uuid = l.instance_uuid
       LEFT JOIN neutron_ports p ON p.id = l.port_id
      WHERE p.id IS NULL OR p.device_id <> l.instance_uuid OR i.deleted_at IS NOT NULL
         OR (i.uuid IS NULL AND l.created_at < :cutoff)
         OR (i.uuid IS NOT NULL AND COALESCE(i.host, '') <> p.binding_host_id
             AND NOT (i.host IS NULL AND (i.vm_state = 'building' OR i.task_state IN ('spawning', 'unshelving'))))
      LIMIT ${BATCH}`,
    { replacements: { cutoff: orphanBefore }, type: QueryTypes.SELECT },
  );
  for (const l of links) {
    if (!l.port || l.device_id !== l.instance_uuid) {
      await d.models.InstancePort.destroy({ where: { port_id: l.port_id } });
      continue;
    }
    if (!l.server || l.deleted_at) {
      if (l.preserve_on_delete) {
        await d.ports.update(l.port_id, { device_id: '', device_owner: '', binding_host_id: '' });
        counts.released++;
      } else {
        await d.ports.remove(l.port_id);
        counts.removed++;
      }
      await d.models.InstancePort.destroy({ where: { port_id: l.port_id } });
      continue;
    }
    await d.ports.update(l.port_id, { binding_host_id: l.host ?? '' });
    counts.bound++;
  }
  // A port made for a server whose link was never written (a crash between the two).
  const unlinked = await sequelize.query<{ id: string }>(
    `SELECT p.id FROM neutron_ports p
       LEFT JOIN instance_ports l ON l.port_id = p.id
       LEFT JOIN instances i ON i.uuid = p.device_id
      WHERE p.device_owner LIKE 'compute:%' AND l.port_id IS NULL AND i.uuid IS NULL AND p.created_at < :cutoff
      LIMIT ${BATCH}`,
    { replacements: { cutoff: orphanBefore }, type: QueryTypes.SELECT },
  );
  for (const p of unlinked) {
    await d.ports.remove(p.id);
    counts.removed++;
  }
  return counts;
}

/**
 * Runs `reconcilePorts` every `intervalMs` on the clock. A boot makes its ports just before its instance: a port
 * without a server is an orphan once older than `graceMs`, or, on a node that alone serves the API, once made
 * before this node started (no boot of an earlier process is still under way).
 */
export class PortReconciler {
  private timer: Timer | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly startedAt: number;

  constructor(
    private readonly d: NetworkDeps,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; graceMs: number; alone: boolean },
  ) {
    this.startedAt = clock.now();
  }

  start(): void {
    this.schedule(0);
  }

  /** One pass now (tests, and a delete that wants its ports gone soon). */
  pass(): Promise<void> {
    this.running = this.running.then(async () => {
      const now = this.clock.now();
      const cutoff = this.options.alone ? Math.max(now - this.options.graceMs, this.startedAt) : now - this.options.graceMs;
      try {
        const counts = await reconcilePorts(this.d, new Date(cutoff));
        if (counts.removed || counts.released) this.logger.info(counts, 'servers’ ports reconciled');
      } catch (error) {
        if (!this.stopped) this.logger.warn({ err: error }, 'port reconciliation failed; retried at the next pass');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      void this.pass().then(() => this.schedule(this.options.intervalMs));
    }, ms);
  }
}
