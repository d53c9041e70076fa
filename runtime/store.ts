import type { ActorRef } from './ref.js';
import type { Envelope } from './envelope.js';
import type { ErrorBody } from './errors.js';
import type { RecordWrite } from './kind.js';

export interface KindTableSpec {
  readonly model: string;
  readonly key: string;
  readonly shared?: readonly string[];
  /** Models of the rows the kind's handlers record besides its state (`KindDefinition.records`). */
  readonly records?: readonly string[];
}

export interface Activated {
  readonly epoch: number;
  readonly state: object | null;
  /** Set when an operator must restart the actor before it handles anything. */
  readonly failure?: string;
}

export interface StoredReply {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: ErrorBody;
}

export interface CommitItem {
  readonly ref: ActorRef;
  readonly epoch: number;
  /** undefined: unchanged; null: delete the entity's row. */
  readonly state?: object | null;
  /** The durable message handled, recorded in the inbox and removed from the outbox. */
  readonly handled?: { readonly id: string; readonly reply: StoredReply };
  /** Durable messages the handler sent, written to the outbox in the same transaction. */
  readonly sends?: readonly Envelope[];
  /** Rows of the kind's record models, upserted by primary key in the same transaction. */
  readonly records?: readonly RecordWrite[];
  /** Marks the actor failed (it then handles nothing until an operator restarts it). */
  readonly failure?: string;
}

export interface DeadLetter {
  readonly envelope: Envelope;
  readonly reason: string;
  readonly stack?: string;
  readonly attempts: number;
}

export interface CrashRecord {
  readonly ref: ActorRef;
  readonly reason: string;
  readonly stack?: string;
  readonly messageType?: string;
  readonly messageId?: string;
  readonly at: number;
}

/** A dead letter as an operator sees it. */
export interface DeadLetterRecord {
  readonly id: string;
  readonly to: ActorRef;
  readonly type: string;
  readonly payload: unknown;
  readonly reason: string;
  readonly attempts: number;
  readonly correlationId?: string;
  readonly at: number;
}

/** An actor an operator must restart before it handles anything. */
export interface FailedActor {
  readonly ref: ActorRef;
  readonly reason: string;
  readonly at: number | null;
  readonly node: string | null;
}

/**
 * Where actors' state and messages live. The SQL store writes the database directly; a node
 * without database credentials will use a store that writes through a node that has them.
 */
export interface ActorStore {
  /** Tells the store which model holds a kind's state. */
  registerKind(kind: string, table: KindTableSpec): void;
  /** Takes a new epoch for the actor (fencing off older activations) and loads its state. */
  activate(ref: ActorRef, node: string): Promise<Activated>;
  /**
   * Applies a handled message atomically; rejects with StaleEpochError if a newer activation exists.
   * An activation's commits apply in the order they were made, and once one fails none of its
   * later ones apply (they reject with BrokenChainError) until the actor is activated again.
   */
  commit(item: CommitItem): Promise<void>;
  /** Makes messages sent from outside any actor durable. */
  enqueue(envelopes: readonly Envelope[]): Promise<void>;
  deadLetter(letter: DeadLetter): Promise<void>;
  /** Drops an outbox row whose message the inbox shows was handled already. */
  acknowledge(messageId: string): Promise<void>;
  clearFailure(ref: ActorRef): Promise<void>;
  recordCrash(crash: CrashRecord): Promise<void>;
  lookupInbox(messageId: string): Promise<StoredReply | undefined>;
  /**
   * Forgets the ids of messages handled before `before` (ms). A handled message leaves the outbox
   * in its handling transaction, so only a transport that may deliver twice needs them, and only briefly.
   */
  pruneInbox(before: number): Promise<number>;
  /** Accepted durable messages not yet handled, oldest first (a delayed one carries its due time). */
  pendingOutbox(): Promise<Envelope[]>;
  /** The durable messages the outbox holds for one actor, in send order (marked redelivered). */
  outboxFor(ref: ActorRef): Promise<Envelope[]>;
  /**
   * A page of durable messages accepted (a delayed one: due) before `before` (ms) and still not handled, in send
   * order from after outbox position `afterSeq`: what a node that took them may have died holding.
   */
  overdueOutbox(before: number, afterSeq: number, limit: number): Promise<Array<{ readonly seq: number; readonly envelope: Envelope }>>;
  /** Operators: dead letters, newest first, of one kind or actor if given. */
  listDeadLetters(query: { readonly kind?: string; readonly id?: string; readonly limit: number }): Promise<DeadLetterRecord[]>;
  /**
   * Operators: moves a dead letter back to the outbox under its own id, forgetting the dead-letter reply its
   * inbox row holds, in one transaction (the inbox then guards the retry as any message); undefined if there is none.
   */
  requeueDeadLetter(id: string): Promise<Envelope | undefined>;
  /** Operators: forgets a dead letter; false if there was none. */
  dropDeadLetter(id: string): Promise<boolean>;
  /** Operators: the actors marked failed, whether or not they are active anywhere. */
  failedActors(limit: number): Promise<FailedActor[]>;
  /** How many writes waited for the last group commit, for metrics. */
  readonly stats: StoreStats;
  close(): Promise<void>;
}

export interface StoreStats {
  transactions: number;
  operations: number;
  lastBatch: number;
  maxBatch: number;
  /** Commits refused because a newer activation of their actor exists (a stale owner's writes, fenced off). */
  staleWrites: number;
  /** Time spent running group-commit transactions (ms): against wall time, how near the store is to saturation. */
  busyMs: number;
}
