import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface NeutronSecurityGroupRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: boolean;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

export interface NeutronSecurityGroupRuleRow {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: Date;
  updated_at: Date;
}

/** Which group is a project's `default`: one row per project, so two first uses never make two. */
export interface NeutronDefaultSecurityGroupRow {
  project_id: string;
  security_group_id: string;
}

const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });

export const groupAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  name: str(255),
  description: str(255),
  stateful: { type: DataTypes.BOOLEAN, allowNull: false },
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const ruleAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  security_group_id: str(36),
  direction: str(16),
  ethertype: str(8),
  protocol: str(40, true),
  port_range_min: { type: DataTypes.INTEGER, allowNull: true },
  port_range_max: { type: DataTypes.INTEGER, allowNull: true },
  remote_ip_prefix: str(64, true),
  remote_group_id: str(36, true),
  description: str(255),
  revision_number: { type: DataTypes.INTEGER, allowNull: false },
  ...timestamps,
};

export const defaultAttributes: ModelAttributes = {
  project_id: { type: DataTypes.STRING(255), primaryKey: true },
  security_group_id: str(36),
};

export const define = (sequelize: Sequelize) => ({
  NeutronSecurityGroup: defineRow<NeutronSecurityGroupRow>(sequelize, 'NeutronSecurityGroup', groupAttributes, {
    tableName: 'neutron_security_groups',
    timestamps: false,
    indexes: [{ fields: ['project_id'] }],
  }),
  NeutronSecurityGroupRule: defineRow<NeutronSecurityGroupRuleRow>(sequelize, 'NeutronSecurityGroupRule', ruleAttributes, {
    tableName: 'neutron_security_group_rules',
    timestamps: false,
    indexes: [{ fields: ['security_group_id'] }, { fields: ['project_id'] }],
  }),
  NeutronDefaultSecurityGroup: defineRow<NeutronDefaultSecurityGroupRow>(sequelize, 'NeutronDefaultSecurityGroup', defaultAttributes, {
    tableName: 'neutron_default_security_groups',
    timestamps: false,
  }),
});
