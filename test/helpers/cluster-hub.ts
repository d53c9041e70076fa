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
  /** Per target node, how many of the next envelopes to it are lost, or refused, on the way. */
  private readonly toLose = new Map<string, number>();
  private readonly toRefuse = new Map<string, number>();
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
      deliver: (to, envelope) => {
        if (this.take(this.toRefuse, to)) throw new ActorError('unavailable', `the way to node ${to} is down`);
        if (this.take(this.toLose, to)) return;
        this.carry(self, to, envelope, (node, e) => node.receive(e));
      },
      reply: (to, reply) => this.carry(self, to, reply, (node, r) => node.receiveReply(r)),
      acknowledge: (id) => {
        const key = self ?? '?';
        this.acknowledged.set(key, [...(this.acknowledged.get(key) ?? []), id]);
      },
      forget: () => Promise.resolve(),
    };
  }

  /** The next `n` envelopes to the node vanish after they were handed over, as a Redis write that failed or a restart without persistence loses them. */
  lose(nodeId: string, n = 1): void {
    this.toLose.set(nodeId, (this.toLose.get(nodeId) ?? 0) + n);
  }

  /** Handing the next `n` envelopes to the node fails at once, as a send while Redis is away does. */
  refuse(nodeId: string, n = 1): void {
    this.toRefuse.set(nodeId, (this.toRefuse.get(nodeId) ?? 0) + n);
  }

  private take(counts: Map<string, number>, nodeId: string): boolean {
    const left = counts.get(nodeId) ?? 0;
    if (left <= 0) return false;
    counts.set(nodeId, left - 1);
    return true;
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
