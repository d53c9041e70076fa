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

// 'shelved_offloaded' is 17 characters: vm_state takes Nova's 255. Sequelize changes a SQLite column by copying the
// table (which loses its indexes), and SQLite cannot drop an indexed column; but a VARCHAR's length is only a declared
// type there (TEXT affinity either way), so the table's declaration is rewritten in place and the schema reloaded.
async function vmStateLength(qi: QueryInterface, from: number, to: number): Promise<void> {
  if (qi.sequelize.getDialect() !== 'sqlite') {
    await qi.changeColumn('instances', 'vm_state', { type: DataTypes.STRING(to), allowNull: false });
    return;
  }
  const [[{ schema_version: version }]] = (await qi.sequelize.query('PRAGMA schema_version')) as [Array<{ schema_version: number }>, unknown];
  await qi.sequelize.query('PRAGMA writable_schema = ON');
  await qi.sequelize.query(
    `UPDATE sqlite_master SET sql = replace(sql, '\`vm_state\` VARCHAR(${from})', '\`vm_state\` VARCHAR(${to})') WHERE type = 'table' AND name = 'instances'`,
  );
  await qi.sequelize.query(`PRAGMA schema_version = ${version + 1}`);
  await qi.sequelize.query('PRAGMA writable_schema = OFF');
}

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
  await vmStateLength(qi, 16, 255);
}

export async function down(qi: QueryInterface): Promise<void> {
  await vmStateLength(qi, 255, 16);
  await removeColumns(qi, added);
}
