import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';

/**
 * One row per node that ever joined the cluster: its lease, renewed by the node itself, is what the others
 * read to tell it is alive, so a Redis outage never makes every node look dead at once. Times are epoch ms.
 */
export interface ClusterNodeRow {
  node_id: string;
  roles: string;
  address: string;
  protocol_version: number;
  status: string;
  lease_expires_at: number | string;
  started_at: number | string;
  incarnation: string;
  pins: string;
  load_activations: number;
  load_mailbox: number;
}

export const table = 'cluster_nodes';

export const attributes: ModelAttributes = {
  node_id: { type: DataTypes.STRING(255), primaryKey: true },
  roles: { type: DataTypes.TEXT, allowNull: false },
  address: { type: DataTypes.STRING(255), allowNull: false },
  protocol_version: { type: DataTypes.INTEGER, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  lease_expires_at: { type: DataTypes.BIGINT, allowNull: false },
  started_at: { type: DataTypes.BIGINT, allowNull: false },
  incarnation: { type: DataTypes.STRING(64), allowNull: false },
  pins: { type: DataTypes.TEXT, allowNull: false },
  load_activations: { type: DataTypes.INTEGER, allowNull: false },
  load_mailbox: { type: DataTypes.INTEGER, allowNull: false },
};

export const define = (sequelize: Sequelize) => sequelize.define('ClusterNode', attributes, { tableName: table, timestamps: false });
