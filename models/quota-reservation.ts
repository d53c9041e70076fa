import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/**
 * What a boot in progress holds against its project's quota: taken before its instance rows are
 * written, dropped once they are (its id is the boot's reservation id, which those rows carry),
 * and void after `expires_at` should the API node die in between.
 */
export interface QuotaReservationRow {
  id: string;
  project_id: string;
  /** The booting user, for the per-user limits (null on rows written before they existed). */
  user_id: string | null;
  instances: number;
  cores: number;
  ram: number;
  expires_at: Date;
}

export const table = 'quota_reservations';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  user_id: { type: DataTypes.STRING(255), allowNull: true },
  instances: { type: DataTypes.INTEGER, allowNull: false },
  cores: { type: DataTypes.BIGINT, allowNull: false },
  ram: { type: DataTypes.BIGINT, allowNull: false },
  expires_at: { type: DataTypes.DATE, allowNull: false },
};

export const define = (sequelize: Sequelize) =>
  defineRow<QuotaReservationRow>(sequelize, 'QuotaReservation', attributes, { tableName: table, timestamps: false });
