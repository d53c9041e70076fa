import type { ActorNode } from './node.js';
import type { ActorRef } from './ref.js';
import type { ActivationInfo, ChangeEvent } from './registry.js';
import type { DeadLetterRecord } from './store.js';

/** One actor as an operator lists it: live on this node, or only marked failed in its record. */
export interface ActorView {
  readonly kind: string;
  readonly id: string;
  readonly node: string | null;
  readonly status: string;
  readonly failure?: string;
  readonly failedAt?: number | null;
  readonly epoch?: number;
  readonly mailboxDepth?: number;
  readonly handled?: number;
  readonly restarts?: number;
  readonly lastCrash?: { readonly reason: string; readonly at: number; readonly messageType?: string };
}

/** One live actor as the inspector lists it: cheap fields only (100,000 of them are counted every batch). */
export interface ActorRow {
  readonly kind: string;
  readonly id: string;
  readonly node: string;
  readonly supervisor: string;
  readonly status: string;
  readonly epoch: number;
  readonly mailboxDepth: number;
  readonly handled: number;
  readonly restarts: number;
  readonly lastCrash?: { readonly reason: string; readonly at: number };
}

/** Which live actors an inventory takes: of a kind, in a status, whose id contains `q` or is one of `ids`. */
export interface InventoryFilter {
  readonly kind?: string;
  readonly status?: string;
  /** Lower-cased substring of the id. */
  readonly q?: string;
  /** Ids matched otherwise (an instance found by its server's name). */
  readonly ids?: ReadonlySet<string>;
}

/** Counts of live actors per supervisor, kind and status: the tree's shape without its 100,000 leaves. */
export type TreeCounts = Record<string, Record<string, Record<string, number>>>;

export interface ActorQuery {
  readonly kind?: string;
  readonly status?: string;
  readonly limit: number;
}

const viewOf = (i: ActivationInfo, failure?: string): ActorView => ({
  kind: i.kind,
  id: i.id,
  node: i.node,
  status: i.status,
  ...(failure ? { failure } : {}),
  epoch: i.epoch,
  mailboxDepth: i.mailboxDepth,
  handled: i.handled,
  restarts: i.restarts,
  ...(i.lastCrash
    ? { lastCrash: { reason: i.lastCrash.reason, at: i.lastCrash.at, ...(i.lastCrash.messageType ? { messageType: i.lastCrash.messageType } : {}) } }
    : {}),
});

/**
 * What an operator does to the actor system (the admin API and `stratus actor …` call it): list
 * actors, restart or stop one, and retry or drop dead letters. One node's view today; the cluster's later.
 */
export class Operator {
  constructor(private readonly node: ActorNode) {}

  /** Live activations and every actor marked failed (active or not), failed ones first. */
  async actors(query: ActorQuery): Promise<ActorView[]> {
    const failed = await this.node.store.failedActors(query.limit);
    const seen = new Set<string>();
    const out: ActorView[] = [];
    for (const f of failed) {
      if (query.kind && f.ref.kind !== query.kind) continue;
      seen.add(`${f.ref.kind}/${f.ref.id}`);
      const live = this.node.info(f.ref);
      out.push(
        live
          ? viewOf({ ...live, status: 'failed' }, f.reason)
          : { kind: f.ref.kind, id: f.ref.id, node: f.node, status: 'failed', failure: f.reason, failedAt: f.at },
      );
    }
    if (query.status && query.status !== 'failed') out.length = 0;
    for (const activation of this.node.activations(query.kind)) {
      if (out.length >= query.limit) break;
      const info = activation.info();
      if (seen.has(`${info.kind}/${info.id}`) || (query.status && info.status !== query.status)) continue;
      out.push(viewOf(info, activation.failure));
    }
    return out.slice(0, query.limit);
  }

  /**
   * This node's live actors matching `filter`, in a stable order (kind, then activation order): how many, how many
   * per kind and status, and the rows from `offset` to `offset + limit` only.
   */
  inventory(
    filter: InventoryFilter,
    offset: number,
    limit: number,
  ): { total: number; counts: Record<string, Record<string, number>>; rows: ActorRow[] } {
    const counts: Record<string, Record<string, number>> = {};
    const rows: ActorRow[] = [];
    let total = 0;
    for (const a of this.node.activations(filter.kind)) {
      const { kind, id } = a.ref;
      if (filter.status && a.status !== filter.status) continue;
      if ((filter.q !== undefined || filter.ids) && !(filter.q !== undefined && id.toLowerCase().includes(filter.q)) && !filter.ids?.has(id))
        continue;
      const perKind = (counts[kind] ??= {});
      perKind[a.status] = (perKind[a.status] ?? 0) + 1;
      if (total >= offset && rows.length < limit)
        rows.push({
          kind,
          id,
          node: this.node.nodeId,
          supervisor: a.kind.supervisor,
          status: a.status,
          epoch: a.epoch,
          mailboxDepth: a.depth,
          handled: a.handled,
          restarts: a.restarts,
          ...(a.lastCrash ? { lastCrash: { reason: a.lastCrash.reason, at: a.lastCrash.at } } : {}),
        });
      total++;
    }
    return { total, counts, rows };
  }

  /** This node's supervision tree as counts: supervisor → kind → status → live actors. */
  tree(): TreeCounts {
    const tree: TreeCounts = {};
    for (const k of this.node.kindRuntimes()) {
      const perKind = ((tree[k.supervisor] ??= {})[k.definition.kind] ??= {});
      for (const a of this.node.activations(k.definition.kind)) perKind[a.status] = (perKind[a.status] ?? 0) + 1;
    }
    return tree;
  }

  /** Lifecycle changes of this node's actors as they happen (activated, crashed, restarted…); returns the unsubscribe. */
  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.node.changes.on('change', listener);
    return () => this.node.changes.off('change', listener);
  }

  kinds(): string[] {
    return this.node.kindRuntimes().map((k) => k.definition.kind);
  }

  /** One actor with its recent messages; undefined when it is neither live here nor failed. */
  async actor(ref: ActorRef): Promise<(ActorView & { recent?: ActivationInfo['recent']; summary?: Record<string, unknown> }) | undefined> {
    const live = this.node.info(ref);
    if (live) return { ...viewOf(live), recent: live.recent, summary: live.summary };
    const failed = (await this.node.store.failedActors(10_000)).find((f) => f.ref.kind === ref.kind && f.ref.id === ref.id);
    return failed ? { kind: ref.kind, id: ref.id, node: failed.node, status: 'failed', failure: failed.reason, failedAt: failed.at } : undefined;
  }

  /** Whether the actor is live on this node (else another node may hold it). */
  isActive(ref: ActorRef): boolean {
    return this.node.isActive(ref);
  }

  hasKind(kind: string): boolean {
    return this.node.kindRuntimes().some((k) => k.definition.kind === kind);
  }

  /** Clears a failure (or reloads a live actor's state): its next message is handled again. */
  restart(ref: ActorRef): Promise<void> {
    return this.node.restart(ref);
  }

  /** Stops the actor's activation here once its mailbox is empty; false if it is not active. */
  stop(ref: ActorRef): boolean {
    return this.node.stopActor(ref);
  }

  deadLetters(query: { kind?: string; id?: string; limit: number }): Promise<DeadLetterRecord[]> {
    return this.node.store.listDeadLetters(query);
  }

  /** Sends a dead letter again, under its original id (the inbox still guards it), and forgets it; answers the new message id, undefined if there is none. */
  async retryDeadLetter(id: string): Promise<string | undefined> {
    const envelope = await this.node.store.requeueDeadLetter(id);
    if (!envelope) return undefined;
    this.node.deliver([envelope]);
    this.node.logger.info(
      { deadLetter: id, message: envelope.id, to: `${envelope.to.kind}/${envelope.to.id}`, type: envelope.type },
      'dead letter sent again by an operator',
    );
    return String(envelope.id);
  }

  async dropDeadLetter(id: string): Promise<boolean> {
    const dropped = await this.node.store.dropDeadLetter(id);
    if (dropped) this.node.logger.info({ deadLetter: id }, 'dead letter dropped by an operator');
    return dropped;
  }
}
