import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'images',
    attributes: {
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
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['owner'] }, { fields: ['visibility'] }],
  },
  {
    table: 'image_properties',
    attributes: {
      image_id: { type: DataTypes.STRING(36), primaryKey: true },
      name: { type: DataTypes.STRING(255), primaryKey: true },
      value: { type: DataTypes.TEXT, allowNull: false },
    },
  },
  {
    table: 'image_tags',
    attributes: {
      image_id: { type: DataTypes.STRING(36), primaryKey: true },
      value: { type: DataTypes.STRING(255), primaryKey: true },
    },
  },
  {
    table: 'image_members',
    attributes: {
      image_id: { type: DataTypes.STRING(36), primaryKey: true },
      member: { type: DataTypes.STRING(255), primaryKey: true },
      status: { type: DataTypes.STRING(20), allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['member'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
