import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A console token as Nova keeps it: only its SHA-256, the console it opens and until when. */
export interface ConsoleAuthTokenRow {
  id: string;
  /** Hex SHA-256 of the token handed out once; the token itself is stored nowhere. */
  token_hash: string;
  /** Nova's type names: novnc, spice-html5, serial. */
  console_type: string;
  /** Where the guest's console listens, as its compute node reaches it. */
  host: string;
  port: number;
  internal_access_path: string | null;
  instance_uuid: string;
  /** The compute host the guest ran on when the token was issued: a move makes the token worthless. */
  compute_host: string;
  expires: Date;
  created_at: Date;
  updated_at: Date;
}

export const table = 'console_auth_tokens';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  token_hash: { type: DataTypes.STRING(64), allowNull: false },
  console_type: { type: DataTypes.STRING(32), allowNull: false },
  host: { type: DataTypes.STRING(255), allowNull: false },
  port: { type: DataTypes.INTEGER, allowNull: false },
  internal_access_path: { type: DataTypes.STRING(255), allowNull: true },
  instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
  compute_host: { type: DataTypes.STRING(255), allowNull: false },
  expires: { type: DataTypes.DATE, allowNull: false },
  ...timestamps,
};

export const indexes = [{ fields: ['token_hash'], unique: true }, { fields: ['instance_uuid'] }, { fields: ['expires'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<ConsoleAuthTokenRow>(sequelize, 'ConsoleAuthToken', attributes, { tableName: table, timestamps: false, indexes });
