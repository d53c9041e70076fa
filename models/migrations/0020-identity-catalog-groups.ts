import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Keystone's catalog as rows (regions, services, endpoints, and which configured services were seeded), and groups
// with their members and role assignments. Frozen: the tables exactly as this migration made them.
const stamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};
const specs: TableSpec[] = [
  {
    table: 'identity_regions',
    attributes: {
      id: { type: DataTypes.STRING(255), primaryKey: true },
      description: { type: DataTypes.STRING(255), allowNull: false },
      parent_region_id: { type: DataTypes.STRING(255), allowNull: true },
      ...stamps,
    },
  },
  {
    table: 'identity_services',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      type: { type: DataTypes.STRING(255), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false },
      ...stamps,
    },
    indexes: [{ fields: ['type'] }],
  },
  {
    table: 'identity_endpoints',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      service_id: { type: DataTypes.STRING(64), allowNull: false },
      interface: { type: DataTypes.STRING(8), allowNull: false },
      region_id: { type: DataTypes.STRING(255), allowNull: true },
      url: { type: DataTypes.TEXT, allowNull: false },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false },
      seed: { type: DataTypes.STRING(255), allowNull: true },
      ...stamps,
    },
    indexes: [{ fields: ['service_id'] }, { fields: ['seed'] }],
  },
  {
    table: 'identity_catalog_seeds',
    attributes: {
      key: { type: DataTypes.STRING(255), primaryKey: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'identity_groups',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(64), allowNull: false },
      domain_id: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      ...stamps,
    },
    indexes: [{ fields: ['domain_id', 'name'], unique: true }],
  },
  {
    table: 'identity_group_members',
    attributes: {
      group_id: { type: DataTypes.STRING(64), primaryKey: true },
      user_id: { type: DataTypes.STRING(64), primaryKey: true },
    },
    indexes: [{ fields: ['user_id'] }],
  },
  {
    table: 'identity_group_assignments',
    attributes: {
      group_id: { type: DataTypes.STRING(64), primaryKey: true },
      target_type: { type: DataTypes.STRING(16), primaryKey: true },
      target_id: { type: DataTypes.STRING(64), primaryKey: true },
      role_id: { type: DataTypes.STRING(64), primaryKey: true },
    },
    indexes: [{ fields: ['target_type', 'target_id'] }, { fields: ['role_id'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
