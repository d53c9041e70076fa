import type { ActorRef } from './ref.js';
import type { ErrorBody } from './errors.js';

/** Where the answer to a request goes: a node and the request's id there. */
export interface ReplyAddress {
  readonly node: string;
  readonly requestId: string;
}

export interface Envelope {
  /** Durable messages carry a UUID that survives restarts; transient ones a node-local number. */
  readonly id: string | number;
  readonly to: ActorRef;
  readonly type: string;
  readonly payload: unknown;
  readonly durable: boolean;
  readonly from?: ActorRef;
  readonly replyTo?: ReplyAddress;
  readonly correlationId?: string;
  /** Set on messages delivered again after a restart, so the receiver checks its inbox first. */
  readonly redelivered?: boolean;
  /** Delivered this long after it is sent; a durable one's outbox row keeps the due time this makes. */
  readonly delayMs?: number;
  /** When a delayed message read back from the outbox is due (ms, on the nodes' clock). */
  readonly dueAt?: number;
  /** Times nodes passed it on to the owner they saw (views differ while membership changes); bounded. */
  readonly hops?: number;
}

export type Reply =
  | { readonly requestId: string; readonly ok: true; readonly value: unknown }
  | { readonly requestId: string; readonly ok: false; readonly error: ErrorBody };
