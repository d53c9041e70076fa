import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface GroupRow {
  id: string;
  name: string;
  domain_id: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface GroupMemberRow {
  group_id: string;
  user_id: string;
}

/** A role a group holds on a project or a domain: every member holds it there. */
export interface GroupAssignmentRow {
  group_id: string;
  target_type: 'project' | 'domain';
  target_id: string;
  role_id: string;
}

export const table = 'identity_groups';
export const membersTable = 'identity_group_members';
export const assignmentsTable = 'identity_group_assignments';

const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  name: { type: DataTypes.STRING(64), allowNull: false },
  domain_id: { type: DataTypes.STRING(64), allowNull: false },
  description: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
};
const memberAttributes: ModelAttributes = {
  group_id: { type: DataTypes.STRING(64), primaryKey: true },
  user_id: { type: DataTypes.STRING(64), primaryKey: true },
};
const assignmentAttributes: ModelAttributes = {
  group_id: { type: DataTypes.STRING(64), primaryKey: true },
  target_type: { type: DataTypes.STRING(16), primaryKey: true },
  target_id: { type: DataTypes.STRING(64), primaryKey: true },
  role_id: { type: DataTypes.STRING(64), primaryKey: true },
};

export const define = (sequelize: Sequelize) =>
  defineRow<GroupRow>(sequelize, 'Group', attributes, {
    tableName: table,
    timestamps: false,
    indexes: [{ fields: ['domain_id', 'name'], unique: true }],
  });
export const defineMembers = (sequelize: Sequelize) =>
  defineRow<GroupMemberRow>(sequelize, 'GroupMember', memberAttributes, {
    tableName: membersTable,
    timestamps: false,
    indexes: [{ fields: ['user_id'] }],
  });
export const defineAssignments = (sequelize: Sequelize) =>
  defineRow<GroupAssignmentRow>(sequelize, 'GroupAssignment', assignmentAttributes, {
    tableName: assignmentsTable,
    timestamps: false,
    indexes: [{ fields: ['target_type', 'target_id'] }, { fields: ['role_id'] }],
  });
