import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/**
 * One move of a server (Nova's migrations): a resize, a cold or live migration, an evacuation. Written by the
 * instance actor beside its own state, keyed by the migration's UUID; `id` is the integer Nova's API shows.
 */
export interface MigrationRow {
  uuid: string;
  id: number;
  instance_uuid: string | null;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_instance_type_id: string | null;
  new_instance_type_id: string | null;
  status: string | null;
  /** 'resize', 'migration', 'live-migration' or 'evacuation'. */
  migration_type: string | null;
  hidden: boolean;
  memory_total: number | null;
  memory_processed: number | null;
  memory_remaining: number | null;
  disk_total: number | null;
  disk_processed: number | null;
  disk_remaining: number | null;
  user_id: string | null;
  project_id: string | null;
  created_at: Date | null;
  updated_at: Date;
  deleted_at: Date | null;
}

const str = (length: number) => ({ type: DataTypes.STRING(length), allowNull: true });
const int = () => ({ type: DataTypes.BIGINT, allowNull: true });

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  id: { type: DataTypes.BIGINT, allowNull: false, unique: true },
  instance_uuid: str(36),
  source_compute: str(255),
  dest_compute: str(255),
  source_node: str(255),
  dest_node: str(255),
  dest_host: str(255),
  old_instance_type_id: str(255),
  new_instance_type_id: str(255),
  status: str(255),
  migration_type: str(32),
  hidden: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  memory_total: int(),
  memory_processed: int(),
  memory_remaining: int(),
  disk_total: int(),
  disk_processed: int(),
  disk_remaining: int(),
  user_id: str(255),
  project_id: str(255),
  created_at: { type: DataTypes.DATE, allowNull: true },
  updated_at: { type: DataTypes.DATE, allowNull: false },
  deleted_at: { type: DataTypes.DATE, allowNull: true },
};

export const indexes = [{ fields: ['instance_uuid', 'status'] }, { fields: ['updated_at'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<MigrationRow>(sequelize, 'Migration', attributes, { tableName: 'migrations', timestamps: false, indexes });
