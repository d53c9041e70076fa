import type { Envelope, Reply } from '../../runtime/envelope.js';
import { ActorError } from '../../runtime/errors.js';
import type { NodeEndpoint, Transport } from '../../runtime/transport.js';

/**
 * Several nodes in one process, connected as a network would: every envelope and reply is serialised and
 * arrives on a later turn. A node can be cut off: what is sent to or from it is lost, as in a partition or
 * when its process dies with messages it had taken.
 */
export class ClusterHub {
  private readonly endpoints = new Map<string, NodeEndpoint>();
  private readonly cutOff = new Set<string>();
  /** Ids of durable messages acknowledged, by the node whose transport acknowledged them. */
  readonly acknowledged = new Map<string, string[]>();
  delivered = 0;

  transport(): Transport {
    let self: string | undefined;
    return {
      attach: (node) => {
        self = node.nodeId;
        this.endpoints.set(node.nodeId, node);
        return Promise.resolve();
      },
      detach: (nodeId) => {
        this.endpoints.delete(nodeId);
        return Promise.resolve();
      },
      deliver: (to, envelope) => this.carry(self, to, envelope, (node, e) => node.receive(e)),
      reply: (to, reply) => this.carry(self, to, reply, (node, r) => node.receiveReply(r)),
      acknowledge: (id) => {
        const key = self ?? '?';
        this.acknowledged.set(key, [...(this.acknowledged.get(key) ?? []), id]);
      },
      forget: () => Promise.resolve(),
    };
  }

  cut(nodeId: string): void {
    this.cutOff.add(nodeId);
  }

  heal(nodeId: string): void {
    this.cutOff.delete(nodeId);
  }

  private carry<T extends Envelope | Reply>(from: string | undefined, to: string, message: T, arrive: (node: NodeEndpoint, m: T) => void): void {
    if (from && this.cutOff.has(from)) return;
    if (!this.cutOff.has(to) && !this.endpoints.has(to)) throw new ActorError('unavailable', `node ${to} is not connected`);
    const copy = JSON.parse(JSON.stringify(message)) as T;
    queueMicrotask(() => {
      const node = this.endpoints.get(to);
      if (!node || this.cutOff.has(to) || (from && this.cutOff.has(from))) return;
      this.delivered++;
      arrive(node, copy);
    });
  }
}
