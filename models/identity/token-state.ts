import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** Keys that sign tokens: kept in the database so every API node validates every token, across restarts. */
export interface SigningKeyRow {
  id: string;
  secret: string;
  created_at: Date;
}

/**
 * Revocation events: one token (by audit id), or every token of a user or project issued
 * before a moment. Nodes poll for new rows, so a revocation reaches all of them quickly.
 */
export interface RevocationRow {
  seq?: number;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  issued_before: Date;
  created_at: Date;
}

export const keysTable = 'identity_signing_keys';
export const revocationsTable = 'identity_revocations';

export const keyAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(32), primaryKey: true },
  secret: { type: DataTypes.STRING(128), allowNull: false },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const revocationAttributes: ModelAttributes = {
  seq: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  audit_id: { type: DataTypes.STRING(64), allowNull: true },
  user_id: { type: DataTypes.STRING(64), allowNull: true },
  project_id: { type: DataTypes.STRING(64), allowNull: true },
  issued_before: { type: DataTypes.DATE, allowNull: false },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const defineKeys = (sequelize: Sequelize) =>
  defineRow<SigningKeyRow>(sequelize, 'SigningKey', keyAttributes, { tableName: keysTable, timestamps: false });
export const defineRevocations = (sequelize: Sequelize) =>
  defineRow<RevocationRow>(sequelize, 'Revocation', revocationAttributes, { tableName: revocationsTable, timestamps: false });
