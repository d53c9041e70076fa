import type { Logger } from 'pino';
import type { Config } from '../cluster.config.js';
import type { Clock } from '../runtime/clock.js';
import type { ActorNode } from '../runtime/node.js';
import type { Transport } from '../runtime/transport.js';
import type { ClusterView } from '../runtime/cluster/types.js';
import type { Database } from '../models/database.js';
import { InProcessTransport } from '../runtime/transports/in-process.js';
import { SingleNodeView } from '../runtime/cluster/single-node.js';
import { Membership as ClusterMembership } from '../runtime/cluster/membership.js';
import { RedisTransport } from '../runtime/transports/redis.js';

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
  /**
   * Cluster mode: the membership the ActorNode joins with when it starts (its lease in the database, its pins
   * announced), given to it at construction; undefined for the all-in-one.
   */
  core(db: Database, self: SelfDescription): ClusterMembership | undefined;
  /** After `node.start()`: this node's view of the cluster (in cluster mode, the node joined at its start). */
  join(node: ActorNode, db: Database, self: SelfDescription): Promise<ClusterView>;
  /** After `node.stop()` (which left the cluster): closes the transport. */
  leave(): Promise<void>;
}

// The URL without its password, for messages and logs.
const shown = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export function membershipFor(config: Config, clock: Clock, logger: Logger): Membership {
  if (!config.redisUrl) return singleNode(config, clock);
  const transport = new RedisTransport({
    url: config.redisUrl,
    ...(config.redis.tlsCaFile ? { caFile: config.redis.tlsCaFile } : {}),
    keyPrefix: config.redis.keyPrefix,
    maxPending: config.cluster.maxPending,
    sendWaitMs: config.cluster.sendWaitMs,
    redeliverAfterMs: config.cluster.redeliverAfterMs,
    logger,
    clock,
  });
  logger.info({ redis: shown(config.redisUrl) }, 'cluster mode: mailboxes in Redis');
  let membership: ClusterMembership | undefined;
  return {
    transport,
    core: (db, self) =>
      (membership = new ClusterMembership({
        db,
        clock,
        logger,
        nodeId: config.nodeId,
        roles: config.roles,
        address: self.address,
        pins: self.pins(),
        leaseMs: config.cluster.leaseMs,
        refreshMs: config.cluster.sweepMs,
        redeliverAfterMs: config.cluster.redeliverAfterMs,
        weights: config.cluster.weights,
        // Test-only (loadConfig refuses it outside the harness): a node that speaks another release's protocol.
        ...(config.faults.clusterProtocolVersion ? { protocolVersion: config.faults.clusterProtocolVersion } : {}),
      })),
    join: () => {
      if (!membership) return Promise.reject(new Error('cluster mode: the node was started without its membership'));
      return Promise.resolve(membership);
    },
    leave: () => transport.close(),
  };
}

function singleNode(config: Config, clock: Clock): Membership {
  const startedAt = clock.now();
  return {
    transport: new InProcessTransport(),
    core: () => undefined,
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
