import { DataTypes, type QueryInterface } from 'sequelize';

// The operator's actions (admin API and inspector), audited: who, what, when, result. Frozen: the table as made here.
const TABLE = 'operator_audit';

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(TABLE, {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    at: { type: DataTypes.BIGINT, allowNull: false },
    user_id: { type: DataTypes.STRING(64), allowNull: false },
    user_name: { type: DataTypes.STRING(255), allowNull: true },
    action: { type: DataTypes.STRING(32), allowNull: false },
    target: { type: DataTypes.STRING(512), allowNull: false },
    result: { type: DataTypes.STRING(16), allowNull: false },
    detail: { type: DataTypes.TEXT, allowNull: true },
  });
  // Listed newest first and pruned by age.
  await qi.addIndex(TABLE, ['at'], { name: 'operator_audit_at' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable(TABLE);
}
