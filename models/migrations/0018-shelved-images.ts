import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// The image-based server actions: a shelved server's snapshot (Nova keeps shelved_image_id in system_metadata) and
// when it was shelved (for the automatic offload after shelved_offload_time), and the request whose task is under
// way (an unshelve's events are finished by a host's report that does not carry it). Frozen: the columns as made here.
const added: AddedColumn[] = [
  ['instances', 'shelved_image_id', { type: DataTypes.STRING(36), allowNull: true }],
  ['instances', 'shelved_at', { type: DataTypes.DATE, allowNull: true }],
  ['instances', 'task_request_id', { type: DataTypes.STRING(255), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
}
