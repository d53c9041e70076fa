import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../models/database.js';
import type { Clock, Timer } from '../clock.js';
import type { Placement } from '../kind.js';
import { NodeTable } from './node-table.js';
import { placeActor, type RoleWeights } from './placement.js';
import { holdsPin } from './roles.js';
import { CLUSTER_PROTOCOL_VERSION, type ClusterView, type NodeInfo, type NodeStatus } from './types.js';

export interface MembershipOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly nodeId: string;
  readonly roles: readonly string[];
  /** Where this node's admin API answers; a function when it is known only once the API listens (after the join). */
  readonly address: string | (() => string);
  /** Pinned actors this node holds, as `kind/id`. */
  readonly pins?: readonly string[];
  /** Past it without a renewal a node counts as down; renewed every third of it. */
  readonly leaseMs: number;
  readonly protocolVersion?: number;
  readonly weights?: RoleWeights;
  /**
   * How often the other nodes' rows are read back between renewals, so a join, a drain or a lapsed lease is seen
   * within it rather than within a third of the lease; unset: only at renewals.
   */
  readonly refreshMs?: number;
  /** An outbox row this old is delivered again by its actor's owner (a node that took it may have died); a lease by default. */
  readonly redeliverAfterMs?: number;
}

/** What membership needs from the node it runs for. */
export interface MembershipHost {
  placementOf(kind: string): Placement | undefined;
  load(): NodeInfo['load'];
  /**
   * Ownership may have moved: actors this node no longer owns are handed over. `rejoined`: this node's
   * lease had lapsed, so others may have activated any of its actors since: every activation goes.
   */
  viewChanged(rejoined: boolean): Promise<void>;
}

/** A node of another protocol version may not join: it would misread envelopes. */
export class ProtocolMismatchError extends Error {
  constructor(mine: number, others: readonly NodeInfo[]) {
    super(
      `cluster protocol version ${mine} differs from the running nodes' (${others.map((n) => `${n.nodeId}: ${n.protocolVersion}`).join(', ')}): ` +
        'a node may join only a cluster of its own protocol version; upgrade every node together',
    );
    this.name = 'ProtocolMismatchError';
  }
}

const isLive = (n: NodeInfo, now: number) => (n.status === 'up' || n.status === 'draining') && n.leaseExpiresAt > now;

/**
 * This node's membership: its row in cluster_nodes with a lease renewed every lease/3 on the clock, and the
 * view of every node read back from the table. Liveness is judged at the moment of each question, so a lease
 * that lapses counts at once, this node's own too (a paused node stops believing it owns anything).
 */
export class Membership implements ClusterView {
  readonly self: string;
  readonly leaseMs: number;
  readonly redeliverAfterMs: number;
  private readonly protocolVersion: number;
  private readonly table: NodeTable;
  private host: MembershipHost | undefined;
  private rows: NodeInfo[] = [];
  private live: NodeInfo[] = [];
  /** When the earliest lease among the live nodes lapses: the live set is recomputed then. */
  private liveUntil = 0;
  private signature = '';
  private readonly owners = new Map<string, string | undefined>();
  private status: NodeStatus = 'up';
  private incarnation = '';
  private leaseExpiresAt = 0;
  private startedAt = 0;
  private timer: Timer | undefined;
  private refresher: Timer | undefined;
  private renewal: Promise<void> | undefined;
  private running = false;
  private readonly listeners = new Set<(nodes: readonly NodeInfo[]) => void>();

  constructor(private readonly options: MembershipOptions) {
    this.self = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.redeliverAfterMs = options.redeliverAfterMs ?? options.leaseMs;
    this.protocolVersion = options.protocolVersion ?? CLUSTER_PROTOCOL_VERSION;
    this.table = new NodeTable(options.db);
  }

  /** Announces this node (a new incarnation), refusing to join a cluster of another protocol version. */
  async join(host: MembershipHost): Promise<void> {
    this.host = host;
    const now = this.options.clock.now();
    const others = (await this.table.readAll()).filter((n) => n.nodeId !== this.self && isLive(n, now));
    const mismatched = others.filter((n) => n.protocolVersion !== this.protocolVersion);
    if (mismatched.length) throw new ProtocolMismatchError(this.protocolVersion, mismatched);
    const rejoined = this.incarnation !== '';
    this.incarnation = randomUUID();
    this.status = 'up';
    this.startedAt = now;
    this.leaseExpiresAt = now + this.leaseMs;
    await this.table.upsert(this.info());
    this.running = true;
    await this.refresh(rejoined);
    this.schedule();
    this.scheduleRefresh();
  }

  /** Stops renewing the lease: what a killed or paused process does; tests use it to kill a node. */
  halt(): void {
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.options.clock.clearTimeout(this.refresher);
  }

  /** Leaves for good: status 'left', lease over. */
  async leave(): Promise<void> {
    this.halt();
    this.status = 'left';
    this.leaseExpiresAt = this.options.clock.now();
    await this.table.setStatus(this.self, 'left', this.leaseExpiresAt);
  }

  get draining(): boolean {
    return this.status === 'draining';
  }

  /** Reads every node's row back and recomputes who is live. */
  async refresh(rejoined = false): Promise<void> {
    const rows = await this.table.readAll();
    const mine = rows.find((n) => n.nodeId === this.self);
    // An operator drained this node from another one: it adopts the status its row now shows.
    if (mine?.status === 'draining' && this.status === 'up' && mine.incarnation === this.incarnation) this.status = 'draining';
    this.rows = rows.map((n) => (n.nodeId === this.self ? this.info() : n));
    await this.recompute(true, rejoined);
  }

  nodes(): readonly NodeInfo[] {
    const now = this.options.clock.now();
    return this.rows.map((n) => (n.status !== 'left' && !isLive(n, now) ? { ...n, status: 'down' as const } : n));
  }

  ownerOf(kind: string, id: string): string | undefined {
    if (this.options.clock.now() >= this.liveUntil) void this.recompute(false, false);
    const key = `${kind}/${id}`;
    if (this.owners.has(key)) return this.owners.get(key);
    const placement = this.host?.placementOf(kind);
    const owner = placement ? placeActor(placement, kind, id, this.live, this.options.weights) : undefined;
    if (this.owners.size >= 100_000) this.owners.clear();
    this.owners.set(key, owner);
    return owner;
  }

  /** Why an actor has no owner, for the error its sender gets. */
  whyUnavailable(kind: string, id: string): string {
    const placement = this.host?.placementOf(kind);
    if (!placement) return `no node knows actor kind '${kind}'`;
    if ('pinned' in placement) {
      const holder = this.nodes().find((n) => holdsPin(n.pins, `${kind}/${id}`));
      return holder ? `${kind}/${id} is pinned to node ${holder.nodeId}, which is ${holder.status}` : `${kind}/${id} is pinned and no node holds it`;
    }
    return `no live node has a role for ${kind} (${placement.roles.join(', ')})`;
  }

  async drain(nodeId: string): Promise<void> {
    if (nodeId === this.self) {
      this.status = 'draining';
      await this.table.setStatus(this.self, 'draining');
      this.rows = this.rows.map((n) => (n.nodeId === this.self ? this.info() : n));
      await this.recompute(true, false);
      return;
    }
    const requested = this.options.clock.now();
    if (!(await this.table.setStatus(nodeId, 'draining'))) throw new Error(`no node '${nodeId}' in the cluster`);
    // The node adopts the status at its next refresh and hands its actors over before the renewal after it.
    for (;;) {
      await this.refresh();
      const node = this.nodes().find((n) => n.nodeId === nodeId);
      if (!node || node.status === 'down' || node.status === 'left') return;
      if (node.leaseExpiresAt - this.leaseMs > requested + this.leaseMs / 3) return;
      await this.options.clock.sleep(this.leaseMs / 3);
    }
  }

  onChange(listener: (nodes: readonly NodeInfo[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private info(): NodeInfo {
    const { nodeId, roles, address, pins = [] } = this.options;
    return {
      nodeId,
      roles,
      address: typeof address === 'function' ? address() : address,
      protocolVersion: this.protocolVersion,
      status: this.status,
      leaseExpiresAt: this.leaseExpiresAt,
      startedAt: this.startedAt,
      incarnation: this.incarnation,
      pins,
      load: this.host?.load() ?? { activations: 0, mailbox: 0 },
    };
  }

  private scheduleRefresh(): void {
    const every = this.options.refreshMs;
    if (!this.running || !every || every >= this.leaseMs / 3) return;
    this.refresher = this.options.clock.setTimeout(() => {
      // A renewal under way reads the rows itself.
      const reading = this.renewal ? Promise.resolve() : this.refresh();
      reading.catch((error) => this.options.logger.warn({ err: error }, 'cluster view refresh failed')).finally(() => this.scheduleRefresh());
    }, every);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.renewal = this.renew()
        .catch((error) => this.options.logger.warn({ err: error }, 'cluster lease renewal failed'))
        .finally(() => {
          this.renewal = undefined;
          this.schedule();
        });
    }, this.leaseMs / 3);
  }

  /** Resolves when no lease renewal is under way (a simulated clock waits for it before moving on). */
  idle(): Promise<void> {
    return this.renewal ?? Promise.resolve();
  }

  private async renew(): Promise<void> {
    const now = this.options.clock.now();
    const lapsed = this.leaseExpiresAt <= now;
    const load = this.host?.load() ?? { activations: 0, mailbox: 0 };
    const { address } = this.info();
    const renewed = await this.table.renew(this.self, this.incarnation, now + this.leaseMs, load, address);
    if (!this.running) return;
    if (!renewed) {
      // The row was taken over (a node restarted under this id) or removed: announce this incarnation again.
      this.options.logger.warn({ node: this.self }, 'cluster row lost; announcing this node again');
      await this.table.upsert({ ...this.info(), leaseExpiresAt: now + this.leaseMs });
    }
    this.leaseExpiresAt = now + this.leaseMs;
    await this.refresh(lapsed);
  }

  private async recompute(force: boolean, rejoined: boolean): Promise<void> {
    const now = this.options.clock.now();
    if (!force && now < this.liveUntil) return;
    this.live = this.rows.filter((n) => isLive(n, now) && n.protocolVersion === this.protocolVersion);
    this.liveUntil = this.live.reduce((min, n) => Math.min(min, n.leaseExpiresAt), Infinity);
    const signature = this.live.map((n) => `${n.nodeId}:${n.status}:${n.pins.join(',')}`).join(' ');
    if (signature === this.signature && !rejoined) return;
    this.signature = signature;
    this.owners.clear();
    await this.host?.viewChanged(rejoined);
    const nodes = this.nodes();
    for (const listener of this.listeners) listener(nodes);
  }
}
