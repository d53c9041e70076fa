import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A flavor: the size a server is booted with. `id` is Nova's `flavorid`, a string. */
export interface FlavorRow {
  id: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/** One extra spec of a flavor (Nova's flavor_extra_specs). */
export interface FlavorExtraSpecRow {
  flavor_id: string;
  key: string;
  value: string;
}

/** A project given access to a private flavor (Nova's flavor_projects). */
export interface FlavorProjectRow {
  flavor_id: string;
  project_id: string;
}

export const table = 'flavors';
export const extraSpecsTable = 'flavor_extra_specs';
export const projectsTable = 'flavor_projects';

const int = () => ({ type: DataTypes.INTEGER, allowNull: false });

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(255), primaryKey: true },
  name: { type: DataTypes.STRING(255), allowNull: false },
  memory_mb: int(),
  vcpus: int(),
  root_gb: int(),
  ephemeral_gb: int(),
  swap: int(),
  rxtx_factor: { type: DataTypes.FLOAT, allowNull: false },
  is_public: { type: DataTypes.BOOLEAN, allowNull: false },
  disabled: { type: DataTypes.BOOLEAN, allowNull: false },
  description: { type: DataTypes.TEXT, allowNull: true },
  ...timestamps,
  ...softDelete,
};

export const indexes = [{ fields: ['name'] }];

export const extraSpecAttributes: ModelAttributes = {
  flavor_id: { type: DataTypes.STRING(255), primaryKey: true },
  key: { type: DataTypes.STRING(255), primaryKey: true },
  value: { type: DataTypes.STRING(255), allowNull: false },
};

export const projectAttributes: ModelAttributes = {
  flavor_id: { type: DataTypes.STRING(255), primaryKey: true },
  project_id: { type: DataTypes.STRING(255), primaryKey: true },
};
export const projectIndexes = [{ fields: ['project_id'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<FlavorRow>(sequelize, 'Flavor', attributes, { tableName: table, timestamps: false, indexes });
export const defineExtraSpecs = (sequelize: Sequelize) =>
  defineRow<FlavorExtraSpecRow>(sequelize, 'FlavorExtraSpec', extraSpecAttributes, { tableName: extraSpecsTable, timestamps: false });
export const defineProjects = (sequelize: Sequelize) =>
  defineRow<FlavorProjectRow>(sequelize, 'FlavorProject', projectAttributes, {
    tableName: projectsTable,
    timestamps: false,
    indexes: projectIndexes,
  });
