import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';

/** A server, with the columns Nova's API filters and sorts on. */
export interface InstanceRow {
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  display_description: string | null;
  hostname: string;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  flavor_id: string;
  /** The flavor's name when the server was booted; the flavor may be deleted later. */
  flavor_name: string | null;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  image_ref: string;
  key_name: string | null;
  locked: boolean;
  /** 'owner' or 'admin': who locked it, as Nova records it; an owner cannot undo an admin's lock. */
  locked_by?: string | null;
  locked_reason: string | null;
  reservation_id: string;
  launch_index: number;
  fault_code: number | null;
  fault_message: string | null;
  fault_details: string | null;
  launched_at: Date | null;
  terminated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const table = 'instances';

const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  user_id: str(255),
  display_name: str(255),
  display_description: { type: DataTypes.TEXT, allowNull: true },
  hostname: str(255),
  vm_state: str(16),
  task_state: str(32, true),
  power_state: { type: DataTypes.INTEGER, allowNull: false },
  host: str(255, true),
  node: str(255, true),
  availability_zone: str(255, true),
  flavor_id: str(255),
  flavor_name: str(255, true),
  memory_mb: { type: DataTypes.INTEGER, allowNull: false },
  vcpus: { type: DataTypes.INTEGER, allowNull: false },
  root_gb: { type: DataTypes.INTEGER, allowNull: false },
  ephemeral_gb: { type: DataTypes.INTEGER, allowNull: false },
  image_ref: str(255),
  key_name: str(255, true),
  locked: { type: DataTypes.BOOLEAN, allowNull: false },
  locked_by: str(16, true),
  locked_reason: { type: DataTypes.TEXT, allowNull: true },
  reservation_id: str(255),
  launch_index: { type: DataTypes.INTEGER, allowNull: false },
  fault_code: { type: DataTypes.INTEGER, allowNull: true },
  fault_message: { type: DataTypes.TEXT, allowNull: true },
  fault_details: { type: DataTypes.TEXT, allowNull: true },
  launched_at: { type: DataTypes.DATE, allowNull: true },
  terminated_at: { type: DataTypes.DATE, allowNull: true },
  ...timestamps,
  ...softDelete,
};

export const indexes = [
  { fields: ['project_id', 'created_at'] },
  { fields: ['host'] },
  { fields: ['vm_state'] },
  { fields: ['deleted_at'] },
];

export const define = (sequelize: Sequelize) =>
  sequelize.define('Instance', attributes, { tableName: table, timestamps: false, indexes });
