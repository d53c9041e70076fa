import { DataTypes, type QueryInterface } from 'sequelize';

// Cluster membership: each node's lease and what it announces (models/runtime/cluster-node.ts), and the outbox
// read by actor. A frozen definition: the columns as this migration made them, whatever the model says later.
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
  // A node taking an actor over reads what the outbox holds for it.
  await qi.addIndex('actor_outbox', ['to_kind', 'to_id'], { name: 'actor_outbox_to' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('actor_outbox', 'actor_outbox_to');
  await qi.dropTable(TABLE);
}
