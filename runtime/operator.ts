import { randomUUID } from 'node:crypto';
import type { ActorNode } from './node.js';
import type { ActorRef } from './ref.js';
import type { ActivationInfo } from './registry.js';
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

  /** Sends a dead letter again, under a new id, and forgets it; answers the new message id, undefined if there is none. */
  async retryDeadLetter(id: string): Promise<string | undefined> {
    const envelope = await this.node.store.requeueDeadLetter(id, randomUUID());
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
