import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** One scheduler per node with the scheduler role; its row counts the decisions it made. */
export interface SchedulerRow {
  name: string;
  decisions: number;
  last_decision_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'schedulers';

export const attributes: ModelAttributes = {
  name: { type: DataTypes.STRING(255), primaryKey: true },
  decisions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  last_decision_at: { type: DataTypes.DATE, allowNull: true },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => defineRow<SchedulerRow>(sequelize, 'Scheduler', attributes, { tableName: table, timestamps: false });
