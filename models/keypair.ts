import { DataTypes, type ModelAttributes, type Optional, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A key pair: it belongs to a user, not a project, and its name is unique for that user. */
export interface KeyPairRow {
  id: number;
  user_id: string;
  name: string;
  fingerprint: string;
  public_key: string;
  /** `ssh`, or `x509` for a certificate (microversion 2.2). */
  type: string;
  created_at: Date;
  updated_at: Date | null;
}

export const table = 'key_pairs';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  user_id: { type: DataTypes.STRING(255), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: false },
  fingerprint: { type: DataTypes.STRING(255), allowNull: false },
  public_key: { type: DataTypes.TEXT, allowNull: false },
  type: { type: DataTypes.STRING(16), allowNull: false },
  created_at: timestamps.created_at,
  updated_at: { ...timestamps.updated_at, allowNull: true },
};

export const indexes = [{ fields: ['user_id', 'name'], unique: true }];

export const define = (sequelize: Sequelize) =>
  defineRow<KeyPairRow, Optional<KeyPairRow, 'id'>>(sequelize, 'KeyPair', attributes, { tableName: table, timestamps: false, indexes });
