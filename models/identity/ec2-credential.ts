import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** EC2 access keys; the secret is encrypted at rest (it must stay recoverable to check SigV4 signatures). */
export interface Ec2CredentialRow {
  access: string;
  user_id: string;
  project_id: string;
  secret_encrypted: string;
  created_at: Date;
}

export const table = 'identity_ec2_credentials';

export const attributes: ModelAttributes = {
  access: { type: DataTypes.STRING(64), primaryKey: true },
  user_id: { type: DataTypes.STRING(64), allowNull: false },
  project_id: { type: DataTypes.STRING(64), allowNull: false },
  secret_encrypted: { type: DataTypes.TEXT, allowNull: false },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const indexes = [{ fields: ['user_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<Ec2CredentialRow>(sequelize, 'Ec2Credential', attributes, { tableName: table, timestamps: false, indexes });
