import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** An image's core properties, as Glance v2 names them. */
export interface ImageRow {
  id: string;
  name: string | null;
  owner: string;
  status: string;
  visibility: string;
  protected: boolean;
  os_hidden: boolean;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  created_at: Date;
  updated_at: Date;
}
export interface ImagePropertyRow {
  image_id: string;
  name: string;
  value: string;
}
export interface ImageTagRow {
  image_id: string;
  value: string;
}
export interface ImageMemberRow {
  image_id: string;
  member: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

export const table = 'images';
export const propertiesTable = 'image_properties';
export const tagsTable = 'image_tags';
export const membersTable = 'image_members';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: true },
  owner: { type: DataTypes.STRING(255), allowNull: false },
  status: { type: DataTypes.STRING(30), allowNull: false },
  visibility: { type: DataTypes.STRING(16), allowNull: false },
  protected: { type: DataTypes.BOOLEAN, allowNull: false },
  os_hidden: { type: DataTypes.BOOLEAN, allowNull: false },
  disk_format: { type: DataTypes.STRING(20), allowNull: true },
  container_format: { type: DataTypes.STRING(20), allowNull: true },
  size: { type: DataTypes.BIGINT, allowNull: true },
  virtual_size: { type: DataTypes.BIGINT, allowNull: true },
  checksum: { type: DataTypes.STRING(32), allowNull: true },
  os_hash_algo: { type: DataTypes.STRING(64), allowNull: true },
  os_hash_value: { type: DataTypes.STRING(128), allowNull: true },
  min_disk: { type: DataTypes.INTEGER, allowNull: false },
  min_ram: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};
export const indexes = [{ fields: ['owner'] }, { fields: ['visibility'] }];

export const propertyAttributes: ModelAttributes = {
  image_id: { type: DataTypes.STRING(36), primaryKey: true },
  name: { type: DataTypes.STRING(255), primaryKey: true },
  value: { type: DataTypes.TEXT, allowNull: false },
};
export const tagAttributes: ModelAttributes = {
  image_id: { type: DataTypes.STRING(36), primaryKey: true },
  value: { type: DataTypes.STRING(255), primaryKey: true },
};
export const memberAttributes: ModelAttributes = {
  image_id: { type: DataTypes.STRING(36), primaryKey: true },
  member: { type: DataTypes.STRING(255), primaryKey: true },
  status: { type: DataTypes.STRING(20), allowNull: false },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => ({
  Image: defineRow<ImageRow>(sequelize, 'Image', attributes, { tableName: table, timestamps: false, indexes }),
  ImageProperty: defineRow<ImagePropertyRow>(sequelize, 'ImageProperty', propertyAttributes, { tableName: propertiesTable, timestamps: false }),
  ImageTag: defineRow<ImageTagRow>(sequelize, 'ImageTag', tagAttributes, { tableName: tagsTable, timestamps: false }),
  ImageMember: defineRow<ImageMemberRow>(sequelize, 'ImageMember', memberAttributes, { tableName: membersTable, timestamps: false }),
});
