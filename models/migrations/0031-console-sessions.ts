import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// A console session's record (the consoles table): the node holding its sockets, the token it was opened with,
// the bytes relayed each way and how it ended. Frozen: as this migration made them.
const added: AddedColumn[] = [
  ['consoles', 'node', { type: DataTypes.STRING(255), allowNull: true }],
  ['consoles', 'token_id', { type: DataTypes.STRING(36), allowNull: true }],
  ['consoles', 'bytes_to_guest', { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 }],
  ['consoles', 'bytes_to_client', { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 }],
  ['consoles', 'ended_at', { type: DataTypes.DATE, allowNull: true }],
  ['consoles', 'end_reason', { type: DataTypes.STRING(64), allowNull: true }],
];

export const up = (qi: QueryInterface) => addColumnsIfMissing(qi, added);
export const down = (qi: QueryInterface) => removeColumns(qi, added);
