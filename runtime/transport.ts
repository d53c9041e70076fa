import type { Envelope, Reply } from './envelope.js';

/** What a node offers the transport: the receiving end of its mailboxes and pending requests. */
export interface NodeEndpoint {
  readonly nodeId: string;
  receive(envelope: Envelope): void;
  receiveReply(reply: Reply): void;
}

/**
 * Carries envelopes to the node that owns their target (the node's directory picks it) and replies to
 * the node that asked. The in-process transport is a function call; the Redis transport carries them
 * across processes with the same guarantees. Durability is the outbox's, never the transport's: a durable
 * message the transport loses is delivered again from the outbox by its target's owner.
 */
export interface Transport {
  /** Starts taking this node's envelopes and replies; resolves once it can. */
  attach(node: NodeEndpoint): Promise<void>;
  /** Stops taking them (what was not acknowledged stays for the outbox to redeliver). */
  detach(nodeId: string): Promise<void>;
  /** Carries an envelope to node `to`; throws an ActorError ('overloaded', 'unavailable') if it cannot take it now. */
  deliver(to: string, envelope: Envelope): void;
  reply(to: string, reply: Reply): void;
  /** A durable message this transport delivered was handled and committed (or found handled already): it may be forgotten. */
  acknowledge(messageId: string): void;
  /** A node has left the cluster for good: its mailbox and what it still held may be dropped. */
  forget(nodeId: string): Promise<void>;
}
