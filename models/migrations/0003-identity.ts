import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'identity_domains',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'identity_projects',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(64), allowNull: false },
      domain_id: { type: DataTypes.STRING(64), allowNull: false },
      parent_id: { type: DataTypes.STRING(64), allowNull: true },
      description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['domain_id', 'name'], unique: true }],
  },
  {
    table: 'identity_users',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      domain_id: { type: DataTypes.STRING(64), allowNull: false },
      default_project_id: { type: DataTypes.STRING(64), allowNull: true },
      description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      email: { type: DataTypes.STRING(255), allowNull: true },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false },
      password_hash: { type: DataTypes.STRING(255), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['domain_id', 'name'], unique: true }],
  },
  {
    table: 'identity_roles',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'identity_implied_roles',
    attributes: {
      prior_role_id: { type: DataTypes.STRING(64), primaryKey: true },
      implied_role_id: { type: DataTypes.STRING(64), primaryKey: true },
    },
  },
  {
    table: 'identity_assignments',
    attributes: {
      user_id: { type: DataTypes.STRING(64), primaryKey: true },
      target_type: { type: DataTypes.STRING(16), primaryKey: true },
      target_id: { type: DataTypes.STRING(64), primaryKey: true },
      role_id: { type: DataTypes.STRING(64), primaryKey: true },
    },
    indexes: [{ fields: ['target_type', 'target_id'] }, { fields: ['role_id'] }],
  },
  {
    table: 'identity_signing_keys',
    attributes: {
      id: { type: DataTypes.STRING(32), primaryKey: true },
      secret: { type: DataTypes.STRING(128), allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'identity_revocations',
    attributes: {
      seq: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      audit_id: { type: DataTypes.STRING(64), allowNull: true },
      user_id: { type: DataTypes.STRING(64), allowNull: true },
      project_id: { type: DataTypes.STRING(64), allowNull: true },
      issued_before: { type: DataTypes.DATE, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
  },
  {
    table: 'identity_ec2_credentials',
    attributes: {
      access: { type: DataTypes.STRING(64), primaryKey: true },
      user_id: { type: DataTypes.STRING(64), allowNull: false },
      project_id: { type: DataTypes.STRING(64), allowNull: false },
      secret_encrypted: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['user_id'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
