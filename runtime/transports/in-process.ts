import type { Envelope, Reply } from '../envelope.js';
import type { NodeEndpoint, Transport } from '../transport.js';

/** One process, one node: delivery is a function call. */
export class InProcessTransport implements Transport {
  private node: NodeEndpoint | undefined;

  attach(node: NodeEndpoint): Promise<void> {
    this.node = node;
    return Promise.resolve();
  }

  detach(nodeId: string): Promise<void> {
    if (this.node?.nodeId === nodeId) this.node = undefined;
    return Promise.resolve();
  }

  deliver(to: string, envelope: Envelope): void {
    if (this.node?.nodeId === to) this.node.receive(envelope);
  }

  reply(to: string, reply: Reply): void {
    if (this.node?.nodeId === to) this.node.receiveReply(reply);
  }

  acknowledge(): void {}

  forget(): Promise<void> {
    return Promise.resolve();
  }
}
