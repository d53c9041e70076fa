import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** One data plane per node that drives compute hosts: what its last reconciles did. */
export interface DataPlaneRow {
  name: string;
  reconciles: number;
  /** The plan's fingerprint as last applied: an unchanged plan is not applied again until the repair interval. */
  plan_hash: string | null;
  last_reconciled_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'dataplanes';

export const attributes: ModelAttributes = {
  name: { type: DataTypes.STRING(255), primaryKey: true },
  reconciles: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  plan_hash: { type: DataTypes.STRING(64), allowNull: true },
  last_reconciled_at: { type: DataTypes.DATE, allowNull: true },
  last_error: { type: DataTypes.STRING(1024), allowNull: true },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => defineRow<DataPlaneRow>(sequelize, 'DataPlane', attributes, { tableName: table, timestamps: false });
