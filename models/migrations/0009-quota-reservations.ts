import { DataTypes, type QueryInterface } from 'sequelize';

// Boots' holds on their project's quota (models/quota-reservation.ts). A frozen definition: the
// columns as this migration made them, whatever the model says later.
const TABLE = 'quota_reservations';

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(TABLE, {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    project_id: { type: DataTypes.STRING(255), allowNull: false },
    instances: { type: DataTypes.INTEGER, allowNull: false },
    cores: { type: DataTypes.BIGINT, allowNull: false },
    ram: { type: DataTypes.BIGINT, allowNull: false },
    expires_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex(TABLE, ['project_id']);
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable(TABLE);
}
