import type { Logger } from 'pino';
import type { ActorRef } from './ref.js';
import type { PayloadOf, Protocol, ProtocolSpec } from './protocol.js';

export interface HandlerContext {
  readonly self: ActorRef;
  /** The clock's time when the message was taken from the mailbox. */
  readonly now: number;
  readonly correlationId?: string;
  readonly log: Logger;
  /**
   * Asks another actor a transient question (a read or a decision that changes no durable
   * state), e.g. an instance asking the scheduler for a host. Never ask an actor that may ask back.
   */
  ask<R = unknown>(to: ActorRef, type: string, payload: unknown, timeoutMs?: number): Promise<R>;
  /**
   * Sends a message; a durable one is written to the outbox in the same transaction as this handler's state.
   * With `delayMs` it is delivered that long after the commit, on the node's clock; a durable one keeps that
   * due time in its outbox row, so a restart delivers it then, not sooner.
   */
  send(to: ActorRef, type: string, payload: unknown, options?: SendLater): void;
  /**
   * Writes a row of one of the kind's `records` models in this handler's commit: inserted, or, when a
   * row with its primary key exists, the columns it gives updated (a replayed message writes nothing twice).
   */
  record(model: string, row: Readonly<Record<string, unknown>>): void;
}

export interface SendLater {
  readonly delayMs?: number;
}

/** A row written through `HandlerContext.record`. */
export interface RecordWrite {
  readonly model: string;
  readonly row: Readonly<Record<string, unknown>>;
}

export type Placement = { readonly movable: true; readonly roles: readonly string[] } | { readonly pinned: true };

export interface Outcome<S> {
  /** The new state; undefined leaves it as it was, null deletes the entity's row. */
  readonly state?: S | null;
  readonly reply?: unknown;
}

export type Handler<S, M> = (state: S | null, payload: M, ctx: HandlerContext) => Outcome<S> | Promise<Outcome<S>>;

export type Behaviour<S, P extends ProtocolSpec> = { readonly [T in keyof P]: Handler<S, PayloadOf<P, T>> };

// The defaults are an existential ("some state, some protocol") for registries holding every kind: with `object` or
// `unknown` no concrete kind would fit, its handlers taking only their own state and payloads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface KindDefinition<S extends object = any, P extends ProtocolSpec = any> {
  readonly kind: string;
  readonly protocol: Protocol<P>;
  readonly behaviour: Behaviour<S, P>;
  /** The Sequelize model name holding this kind's state, and its primary key attribute. */
  readonly model: string;
  readonly key: string;
  /**
   * Columns whose values repeat across many entities (a project id, a state name): loaded
   * once per distinct value, which keeps 100,000 activations small.
   */
  readonly shared?: readonly string[];
  /**
   * Models besides its own table whose rows its handlers write with `ctx.record` (a history the
   * entity keeps, such as an instance's actions), keyed by their primary key.
   */
  readonly records?: readonly string[];
  /**
   * Handles its next message while the last one's commit is in flight (its replies and sends still
   * wait for that commit; reads wait for every commit in flight). For actors that take a stream of
   * writes on the hot path, such as a host taking claims. A failed commit is followed by a reload
   * and the uncommitted messages handled again in order, so the outcome is as without pipelining.
   */
  readonly pipelined?: boolean;
  /**
   * Where the kind's actors live in a cluster. `movable`: on any live node holding one of `roles`, chosen by the
   * placement policy (a hash of the id by default) and moved when nodes come and go. `pinned`: on the node that
   * holds the actor's local state (a host actor beside its hypervisor's daemon), announced by that node; while it
   * is away its actors are unavailable and their durable messages wait in the outbox.
   */
  readonly placement: Placement;
  /** Host and scheduler actors stay active; the rest passivate when idle. */
  readonly passivates: boolean;
  /** An actor of a passivating kind that must stay active in this state (what it holds lives only in memory here). */
  keepsActive?(state: S | null): boolean;
  /** What failure means for the entity: the state to record when the actor is marked failed. */
  onFailed?(state: S | null, reason: string, now: number): S | null | undefined;
  /** A few fields that tell an operator what the actor is doing. */
  summary?(state: S | null): Record<string, unknown>;
}

export const defineKind = <S extends object, P extends ProtocolSpec>(definition: KindDefinition<S, P>): KindDefinition<S, P> => definition;
