import type { Database } from '../../models/database.js';
import type { ClusterNodeRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { NodeInfo, NodeStatus } from './types.js';

/** The cluster_nodes rows as NodeInfo: what every node reads to build its view, and writes of its own row. */
export class NodeTable {
  constructor(private readonly db: Database) {}

  async readAll(): Promise<NodeInfo[]> {
    const rows = await readRows(this.db.models.ClusterNode, { order: [['node_id', 'ASC']] });
    return rows.map(toInfo);
  }

  async upsert(info: NodeInfo): Promise<void> {
    await this.db.models.ClusterNode.upsert(toRow(info));
  }

  /** Extends the lease of this incarnation (its address too: known only once the admin API listens); false if the row is gone or another incarnation holds it. */
  async renew(nodeId: string, incarnation: string, leaseExpiresAt: number, load: NodeInfo['load'], address: string): Promise<boolean> {
    const [count] = await this.db.models.ClusterNode.update(
      { lease_expires_at: leaseExpiresAt, load_activations: load.activations, load_mailbox: load.mailbox, address },
      { where: { node_id: nodeId, incarnation } },
    );
    return count > 0;
  }

  async setStatus(nodeId: string, status: NodeStatus, leaseExpiresAt?: number): Promise<boolean> {
    const [count] = await this.db.models.ClusterNode.update(
      { status, ...(leaseExpiresAt === undefined ? {} : { lease_expires_at: leaseExpiresAt }) },
      { where: { node_id: nodeId } },
    );
    return count > 0;
  }
}

function toRow(info: NodeInfo): ClusterNodeRow {
  return {
    node_id: info.nodeId,
    roles: JSON.stringify(info.roles),
    address: info.address,
    protocol_version: info.protocolVersion,
    status: info.status,
    lease_expires_at: info.leaseExpiresAt,
    started_at: info.startedAt,
    incarnation: info.incarnation,
    pins: JSON.stringify(info.pins),
    load_activations: info.load.activations,
    load_mailbox: info.load.mailbox,
  };
}

function toInfo(row: ClusterNodeRow): NodeInfo {
  return {
    nodeId: row.node_id,
    roles: JSON.parse(row.roles) as string[],
    address: row.address,
    protocolVersion: Number(row.protocol_version),
    status: row.status as NodeStatus,
    // PostgreSQL hands BIGINT over as a string.
    leaseExpiresAt: Number(row.lease_expires_at),
    startedAt: Number(row.started_at),
    incarnation: row.incarnation,
    pins: JSON.parse(row.pins) as string[],
    load: { activations: Number(row.load_activations), mailbox: Number(row.load_mailbox) },
  };
}
