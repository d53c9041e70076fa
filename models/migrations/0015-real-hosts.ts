import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// Real hypervisors: RAM kept back for the host itself (Nova's reserved_host_memory_mb, counted as used) and the
// host CPU as the hypervisor describes it (Nova's cpu_info). Frozen: the columns as this migration made them.
const added: AddedColumn[] = [
  ['hosts', 'reserved_memory_mb', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 }],
  ['hosts', 'cpu_info', { type: DataTypes.TEXT, allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
}
