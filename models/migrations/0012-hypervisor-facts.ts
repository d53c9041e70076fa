import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// What a hypervisor says it runs, and the compute node's address, as the hypervisor views show them.
const added: AddedColumn[] = [
  ['hosts', 'hypervisor_version', { type: DataTypes.INTEGER, allowNull: true }],
  ['hosts', 'host_ip', { type: DataTypes.STRING(64), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
}
