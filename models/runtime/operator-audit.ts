import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/**
 * One operator action (restart, stop, dead-letter retry or drop, node drain) as the admin API and the inspector
 * took it: who, what, when and with what result. Kept `inspector.auditRetentionMs`. Times are epoch ms.
 */
export interface OperatorAuditRow {
  id: number;
  at: number | string;
  user_id: string;
  user_name: string | null;
  action: string;
  target: string;
  result: string;
  detail: string | null;
}

export const table = 'operator_audit';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  at: { type: DataTypes.BIGINT, allowNull: false },
  user_id: { type: DataTypes.STRING(64), allowNull: false },
  user_name: { type: DataTypes.STRING(255), allowNull: true },
  action: { type: DataTypes.STRING(32), allowNull: false },
  target: { type: DataTypes.STRING(512), allowNull: false },
  result: { type: DataTypes.STRING(16), allowNull: false },
  detail: { type: DataTypes.TEXT, allowNull: true },
};

export const indexes = [{ name: 'operator_audit_at', fields: ['at'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<OperatorAuditRow>(sequelize, 'OperatorAudit', attributes, { tableName: table, timestamps: false, indexes });
