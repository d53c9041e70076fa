import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// A delayed durable message keeps its due time in its outbox row, so a restarted node delivers it then rather than at
// once (null: due when sent). Frozen: the column as made here.
const added: AddedColumn[] = [['actor_outbox', 'deliver_at', { type: DataTypes.DATE, allowNull: true }]];

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
}
