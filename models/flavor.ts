import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';

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

export const table = 'flavors';

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

export const define = (sequelize: Sequelize) => sequelize.define('Flavor', attributes, { tableName: table, timestamps: false, indexes });
