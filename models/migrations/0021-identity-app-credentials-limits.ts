import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Keystone's application credentials (secrets hashed, roles and access rules as JSON), and unified limits
// (registered defaults per service and resource, and overrides per project or domain). Frozen as this migration made them.
const stamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};
const specs: TableSpec[] = [
  {
    table: 'identity_application_credentials',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      user_id: { type: DataTypes.STRING(64), allowNull: false },
      project_id: { type: DataTypes.STRING(64), allowNull: false },
      secret_hash: { type: DataTypes.STRING(255), allowNull: false },
      expires_at: { type: DataTypes.DATE, allowNull: true },
      unrestricted: { type: DataTypes.BOOLEAN, allowNull: false },
      roles: { type: DataTypes.TEXT, allowNull: false },
      access_rules: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['user_id', 'name'], unique: true }],
  },
  {
    table: 'identity_registered_limits',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      service_id: { type: DataTypes.STRING(64), allowNull: false },
      region_id: { type: DataTypes.STRING(255), allowNull: true },
      resource_name: { type: DataTypes.STRING(255), allowNull: false },
      default_limit: { type: DataTypes.INTEGER, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      ...stamps,
    },
    indexes: [{ fields: ['service_id', 'resource_name'] }],
  },
  {
    table: 'identity_limits',
    attributes: {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      project_id: { type: DataTypes.STRING(64), allowNull: true },
      domain_id: { type: DataTypes.STRING(64), allowNull: true },
      service_id: { type: DataTypes.STRING(64), allowNull: false },
      region_id: { type: DataTypes.STRING(255), allowNull: true },
      resource_name: { type: DataTypes.STRING(255), allowNull: false },
      resource_limit: { type: DataTypes.INTEGER, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      ...stamps,
    },
    indexes: [{ fields: ['project_id'] }, { fields: ['domain_id'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
