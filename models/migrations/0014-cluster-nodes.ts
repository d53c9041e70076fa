import { DataTypes, type QueryInterface } from 'sequelize';

// Cluster membership: each node's lease and what it announces (models/runtime/cluster-node.ts). A frozen
// definition: the columns as this migration made them, whatever the model says later.
const TABLE = 'cluster_nodes';

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(TABLE, {
    node_id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
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
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable(TABLE);
}
