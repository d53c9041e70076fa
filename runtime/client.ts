import type { PayloadOf, Protocol, ProtocolSpec } from './protocol.js';
import { ref, type ActorRef } from './ref.js';

/** Options of one request: the caller's correlation id, and `commitOnly` for a request whose caller retries itself. */
export interface RequestOptions {
  readonly correlationId?: string;
  readonly commitOnly?: boolean;
}

/** What a typed client needs of a node: asking an actor, and whether one is live here. */
export interface ActorGateway {
  ask<R = unknown>(to: ActorRef, type: string, payload: unknown, options?: RequestOptions): Promise<R>;
  /** Introspection: whether the actor is live on this node. */
  isActive?(ref: ActorRef): boolean;
}

/**
 * One actor's messages as methods: the payload typed by the kind's protocol schema, the reply by
 * `Replies` (what each handler answers; a message not listed answers `unknown`).
 */
export type ActorClient<P extends ProtocolSpec, Replies> = {
  readonly [T in keyof P & string]: (payload: PayloadOf<P, T>, options?: RequestOptions) => Promise<T extends keyof Replies ? Replies[T] : unknown>;
} & { readonly ref: ActorRef; isActive(): boolean };

/**
 * A typed client of a kind: `clientOf(instanceProtocol, node)(uuid).create({...})`. The message
 * types come from the protocol, so a caller can no longer name a message the kind does not have.
 */
export function clientOf<P extends ProtocolSpec, Replies = Record<never, never>>(
  protocol: Protocol<P>,
  gateway: ActorGateway,
): (id: string) => ActorClient<P, Replies> {
  return (id) => {
    const to = ref(protocol.kind, id);
    const client: Record<string, unknown> = { ref: to, isActive: () => gateway.isActive?.(to) ?? false };
    for (const type of protocol.types) client[type] = (payload: unknown, options?: RequestOptions) => gateway.ask(to, type, payload, options);
    return client as ActorClient<P, Replies>;
  };
}
