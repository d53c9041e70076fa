import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** A user's application credential on one project; the secret is kept only as a scrypt hash, like a password. */
export interface ApplicationCredentialRow {
  id: string;
  name: string;
  description: string | null;
  user_id: string;
  project_id: string;
  secret_hash: string;
  expires_at: Date | null;
  unrestricted: boolean;
  /** JSON: the ids of the roles it delegates (implied ones included). */
  roles: string;
  /** JSON: Keystone's access rules (`id`, `service`, `method`, `path`). */
  access_rules: string;
  created_at: Date;
}

export const table = 'identity_application_credentials';

const attributes: ModelAttributes = {
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
};

export const define = (sequelize: Sequelize) =>
  defineRow<ApplicationCredentialRow>(sequelize, 'ApplicationCredential', attributes, {
    tableName: table,
    timestamps: false,
    indexes: [{ fields: ['user_id', 'name'], unique: true }],
  });
