import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/** A server group (Nova's instance group): a placement policy its members' hosts follow. */
export interface ServerGroupRow {
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  /** affinity, anti-affinity, soft-affinity or soft-anti-affinity. */
  policy: string;
  /** JSON: {max_server_per_host?} (2.64). */
  rules: string;
  /** An affinity group's host, fixed atomically by the first claim so that concurrent boots cannot split it. */
  host: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A server in a group, and the host that claimed it (written in that host's claim commit). */
export interface ServerGroupMemberRow {
  instance_uuid: string;
  group_uuid: string;
  host: string | null;
  created_at: Date;
}

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: false },
  project_id: { type: DataTypes.STRING(255), allowNull: false },
  user_id: { type: DataTypes.STRING(255), allowNull: false },
  policy: { type: DataTypes.STRING(32), allowNull: false },
  rules: { type: DataTypes.TEXT, allowNull: false },
  host: { type: DataTypes.STRING(255), allowNull: true },
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

export const memberAttributes: ModelAttributes = {
  instance_uuid: { type: DataTypes.STRING(36), primaryKey: true },
  group_uuid: { type: DataTypes.STRING(36), allowNull: false },
  host: { type: DataTypes.STRING(255), allowNull: true },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const define = (sequelize: Sequelize) =>
  defineRow<ServerGroupRow>(sequelize, 'ServerGroup', attributes, {
    tableName: 'server_groups',
    timestamps: false,
    indexes: [{ fields: ['project_id'] }],
  });

export const defineMembers = (sequelize: Sequelize) =>
  defineRow<ServerGroupMemberRow>(sequelize, 'ServerGroupMember', memberAttributes, {
    tableName: 'server_group_members',
    timestamps: false,
    indexes: [{ fields: ['group_uuid'] }],
  });
