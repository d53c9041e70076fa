import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A console session: which VM display a token opened, until when, on which node, the bytes relayed and how it ended. */
export interface ConsoleRow {
  id: string;
  instance_uuid: string;
  protocol: string;
  console_type: string;
  host: string;
  port: number;
  status: string;
  expires_at: Date;
  /** The node holding the session's sockets. */
  node?: string | null;
  /** The console_auth_tokens row it was opened with. */
  token_id?: string | null;
  /** BIGINT: PostgreSQL answers it as a string. */
  bytes_to_guest?: number | string;
  bytes_to_client?: number | string;
  ended_at?: Date | null;
  /** How it ended: closed (by either end), expired, deleted, moved, operator, crashed. */
  end_reason?: string | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'consoles';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
  protocol: { type: DataTypes.STRING(16), allowNull: false },
  console_type: { type: DataTypes.STRING(32), allowNull: false },
  host: { type: DataTypes.STRING(255), allowNull: false },
  port: { type: DataTypes.INTEGER, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  expires_at: { type: DataTypes.DATE, allowNull: false },
  node: { type: DataTypes.STRING(255), allowNull: true },
  token_id: { type: DataTypes.STRING(36), allowNull: true },
  bytes_to_guest: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
  bytes_to_client: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
  ended_at: { type: DataTypes.DATE, allowNull: true },
  end_reason: { type: DataTypes.STRING(64), allowNull: true },
  ...timestamps,
};

export const indexes = [{ fields: ['instance_uuid'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<ConsoleRow>(sequelize, 'Console', attributes, { tableName: table, timestamps: false, indexes });
