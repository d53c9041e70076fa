import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/** The integer an EC2 id is made from (i-%08x, ami-%08x), one per instance or image uuid, as Nova maps them. */
export interface Ec2IdRow {
  id: number;
  uuid: string;
}

const attributes = (): ModelAttributes => ({
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  uuid: { type: DataTypes.STRING(36), allowNull: false },
});

const define = (sequelize: Sequelize, name: string, tableName: string) =>
  defineRow<Ec2IdRow, { uuid: string }>(sequelize, name, attributes(), {
    tableName,
    timestamps: false,
    indexes: [{ fields: ['uuid'], unique: true }],
  });

export const defineInstanceIds = (sequelize: Sequelize) => define(sequelize, 'InstanceIdMapping', 'instance_id_mappings');
export const defineImageIds = (sequelize: Sequelize) => define(sequelize, 'S3Image', 's3_images');
