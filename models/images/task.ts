import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A Glance task (what an image import runs as), with the node that runs it. */
export interface ImageTaskRow {
  id: string;
  type: string;
  status: string;
  owner: string;
  user_id: string | null;
  request_id: string | null;
  image_id: string | null;
  /** JSON text. */
  input: string;
  /** JSON text, or null while there is no result. */
  result: string | null;
  message: string;
  /** The node running the task: after a restart it resumes its own. */
  node_id: string;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'image_tasks';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  type: { type: DataTypes.STRING(30), allowNull: false },
  status: { type: DataTypes.STRING(30), allowNull: false },
  owner: { type: DataTypes.STRING(255), allowNull: false },
  user_id: { type: DataTypes.STRING(64), allowNull: true },
  request_id: { type: DataTypes.STRING(64), allowNull: true },
  image_id: { type: DataTypes.STRING(36), allowNull: true },
  input: { type: DataTypes.TEXT, allowNull: false },
  result: { type: DataTypes.TEXT, allowNull: true },
  message: { type: DataTypes.TEXT, allowNull: false },
  node_id: { type: DataTypes.STRING(255), allowNull: false },
  expires_at: { type: DataTypes.DATE, allowNull: true },
  ...timestamps,
};
export const indexes = [{ fields: ['image_id'] }, { fields: ['status'] }, { fields: ['owner'] }];

export const define = (sequelize: Sequelize) => ({
  ImageTask: defineRow<ImageTaskRow>(sequelize, 'ImageTask', attributes, { tableName: table, timestamps: false, indexes }),
});
