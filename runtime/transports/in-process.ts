import type { Envelope, Reply } from '../envelope.js';
import type { NodeEndpoint, Transport } from '../transport.js';

/** One process, one node: delivery is a function call. */
export class InProcessTransport implements Transport {
  private node: NodeEndpoint | undefined;

  attach(node: NodeEndpoint): void {
    this.node = node;
  }

  detach(nodeId: string): void {
    if (this.node?.nodeId === nodeId) this.node = undefined;
  }

  deliver(envelope: Envelope): void {
    this.node?.receive(envelope);
  }

  reply(nodeId: string, reply: Reply): void {
    if (this.node?.nodeId === nodeId) this.node.receiveReply(reply);
  }
}
