import type { Envelope, Reply } from './envelope.js';

/** What a node offers the transport: the receiving end of its mailboxes and pending requests. */
export interface NodeEndpoint {
  readonly nodeId: string;
  receive(envelope: Envelope): void;
  receiveReply(reply: Reply): void;
}

/**
 * Carries envelopes to the node hosting their target and replies to the node that asked.
 * The in-process transport is direct; a Redis transport gives the same guarantees across nodes.
 */
export interface Transport {
  attach(node: NodeEndpoint): void;
  detach(nodeId: string): void;
  deliver(envelope: Envelope): void;
  reply(nodeId: string, reply: Reply): void;
}
