import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import type { Clock } from '../runtime/clock.js';
import type { ActorNode } from '../runtime/node.js';
import type { Transport } from '../runtime/transport.js';
import type { ClusterView } from '../runtime/cluster/types.js';
import type { Database } from '../models/database.js';
import { InProcessTransport } from '../runtime/transports/in-process.js';
import { SingleNodeView } from '../runtime/cluster/single-node.js';

// THE seam between one process and a cluster: everything else (bin/cloud.ts, the admin API, /metrics, the
// scheduler choice) works with the Transport and the ClusterView it hands out, whichever mode this is.

/** What this node says about itself when it joins; read late, as ports and hosts are known only after start. */
export interface SelfDescription {
  readonly address: () => string;
  readonly pins: () => readonly string[];
}

export interface Membership {
  /** Carries this node's envelopes: given to the ActorNode before it starts. */
  readonly transport: Transport;
  /** After `node.start()`: joins the cluster (a lease in the database, pins announced) and returns its view. */
  join(node: ActorNode, db: Database, self: SelfDescription): Promise<ClusterView>;
  /** After `node.stop()`: gives the lease up, so others need not wait for it to expire. */
  leave(): Promise<void>;
}

/** A start refused because the configuration asks for a mode this build cannot run. */
export class ClusterModeUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterModeUnavailable';
  }
}

// The URL without its password, for messages and logs.
const shown = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export function membershipFor(config: Config, clock: Clock, logger: Logger): Membership {
  if (!config.redisUrl) return singleNode(config, clock);
  // Cluster mode, to fill in when runtime/transports/redis.ts and runtime/cluster/ (membership, placement,
  // routing, failover, drain) are merged:
  //   const transport = new RedisTransport({ url: config.redisUrl, caFile: config.redis.tlsCaFile || undefined,
  //     keyPrefix: config.redis.keyPrefix, maxPending: config.cluster.maxPending, sendWaitMs: config.cluster.sendWaitMs,
  //     redeliverAfterMs: config.cluster.redeliverAfterMs, logger });
  //   return { transport,
  //     join: (node, db, self) => joinCluster({ node, db, transport, clock, logger, roles: config.roles,
  //       address: self.address, pins: self.pins, leaseMs: config.cluster.leaseMs, sweepMs: config.cluster.sweepMs,
  //       drainMs: config.cluster.drainMs, weights: config.cluster.weights }),   // refuses another protocol version
  //     leave: () => …the core's leave, then transport.close() };
  logger.error({ redisUrl: shown(config.redisUrl) }, 'cluster mode is not available in this build');
  throw new ClusterModeUnavailable(
    `redisUrl is set (${shown(config.redisUrl)}): cluster mode needs the Redis transport and cluster core — not merged yet. ` +
      'Leave redisUrl empty (unset REDIS_URL and STRATUS_REDIS_URL) to run the whole cloud in this process.',
  );
}

function singleNode(config: Config, clock: Clock): Membership {
  const startedAt = clock.now();
  return {
    transport: new InProcessTransport(),
    join: (node, _db, self) =>
      Promise.resolve(
        new SingleNodeView({
          nodeId: config.nodeId,
          roles: config.roles,
          address: self.address,
          startedAt,
          now: () => clock.now(),
          leaseMs: config.cluster.leaseMs,
          pins: self.pins,
          load: () => ({ activations: node.activeCount(), mailbox: mailboxOf(node) }),
          placementOf: (kind) => node.kindRuntimes().find((k) => k.definition.kind === kind)?.definition.placement,
        }),
      ),
    leave: () => Promise.resolve(),
  };
}

function mailboxOf(node: ActorNode): number {
  let depth = 0;
  for (const a of node.activations()) depth += a.depth;
  return depth;
}
