import { DataTypes, type ModelAttributes, type Optional, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/** A host aggregate: hosts sharing metadata; its `availability_zone` key makes it a zone. */
export interface AggregateRow {
  id: number;
  uuid: string;
  name: string;
  /** JSON object of strings; the zone is its `availability_zone`, as in Nova. */
  metadata: string;
  created_at: Date;
  updated_at: Date | null;
}

export interface AggregateHostRow {
  aggregate_id: number;
  host: string;
}

export const attributes: ModelAttributes = {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  uuid: { type: DataTypes.STRING(36), allowNull: false, unique: true },
  name: { type: DataTypes.STRING(255), allowNull: false },
  metadata: { type: DataTypes.TEXT, allowNull: false },
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: true },
};

export const hostAttributes: ModelAttributes = {
  aggregate_id: { type: DataTypes.INTEGER, primaryKey: true },
  host: { type: DataTypes.STRING(255), primaryKey: true },
};

export const define = (sequelize: Sequelize) =>
  defineRow<AggregateRow, Optional<AggregateRow, 'id'>>(sequelize, 'Aggregate', attributes, { tableName: 'aggregates', timestamps: false });

export const defineHosts = (sequelize: Sequelize) =>
  defineRow<AggregateHostRow>(sequelize, 'AggregateHost', hostAttributes, {
    tableName: 'aggregate_hosts',
    timestamps: false,
    indexes: [{ fields: ['host'] }],
  });
