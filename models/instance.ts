import { DataTypes, type ModelAttributes, type Optional, type Sequelize } from 'sequelize';
import { softDelete, timestamps } from './columns.js';
import { defineRow } from './typed.js';

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
  /** The key pair's public key as it was at boot (migration 0024), for the config drive. */
  key_data?: string | null;
  /** The boot's admin password, kept only for the config drive the host writes (migration 0024); never shown. */
  admin_pass?: string | null;
  locked: boolean;
  /** 'owner' or 'admin': who locked it, as Nova records it; an owner cannot undo an admin's lock. */
  locked_by?: string | null;
  locked_reason: string | null;
  reservation_id: string;
  launch_index: number;
  fault_code: number | null;
  fault_message: string | null;
  fault_details: string | null;
  // What the API shows and filters on beyond the boot path's columns (migration 0007).
  /** User metadata as a JSON object of strings; tags as a sorted JSON array (see the note on the columns). */
  metadata: string;
  tags: string;
  /** Base64 text as the user sent it. */
  user_data: string | null;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  /** Nova's string column: 'True' or ''. */
  config_drive: string;
  auto_disk_config: boolean;
  root_device_name: string | null;
  /** Security group names as a JSON array; empty for a server booted with networks 'none'. */
  security_groups: string;
  /** Trusted image certificate ids (2.63) as a JSON array, or null. */
  trusted_certs: string | null;
  /** The embedded flavor's swap (MB) and extra specs (JSON), as Nova keeps them with the instance. */
  swap: number;
  flavor_extra_specs: string;
  /** A host an admin asked for (zone:host, or host from 2.74); forced skips the scheduler's filters. */
  requested_host: string | null;
  force_host: boolean;
  /** A shelved server's snapshot and when it was shelved (migration 0018); Nova keeps them in system_metadata. */
  shelved_image_id?: string | null;
  shelved_at?: Date | null;
  /** The request whose image-based task is under way, for the events a later report finishes. */
  task_request_id?: string | null;
  /** The move under way, JSON (migration 0019; Nova's migration_context with old and new flavor); null when none. */
  migration_context?: string | null;
  launched_at: Date | null;
  terminated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const table = 'instances';

/**
 * The columns migration 0007 adds. Metadata and tags live on the instance row as JSON text
 * rather than in tables of their own: the runtime writes one state row per actor, so the
 * instance actor owns every change to them in the same commit as the rest of its state, and a
 * list reads them with the row, no join. Lists filter tags in memory on rows SQL has already
 * narrowed (a server has at most 50 tags).
 */
// A function: Sequelize writes into column options, so the model and the migration each need their own objects.
export const serverFields = (): ModelAttributes => ({
  metadata: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
  tags: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]' },
  user_data: { type: DataTypes.TEXT, allowNull: true },
  access_ip_v4: { type: DataTypes.STRING(39), allowNull: true },
  access_ip_v6: { type: DataTypes.STRING(39), allowNull: true },
  config_drive: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '' },
  auto_disk_config: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  root_device_name: { type: DataTypes.STRING(255), allowNull: true },
  security_groups: { type: DataTypes.TEXT, allowNull: false, defaultValue: '["default"]' },
  trusted_certs: { type: DataTypes.TEXT, allowNull: true },
  swap: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  flavor_extra_specs: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
  requested_host: { type: DataTypes.STRING(255), allowNull: true },
  force_host: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
});

/** The move under way (migration 0019). */
const moveFields = (): ModelAttributes => ({ migration_context: { type: DataTypes.TEXT, allowNull: true } });

const str = (length: number, allowNull = false) => ({ type: DataTypes.STRING(length), allowNull });

export const attributes: ModelAttributes = {
  uuid: { type: DataTypes.STRING(36), primaryKey: true },
  project_id: str(255),
  user_id: str(255),
  display_name: str(255),
  display_description: { type: DataTypes.TEXT, allowNull: true },
  hostname: str(255),
  vm_state: str(255),
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
  key_data: { type: DataTypes.TEXT, allowNull: true },
  admin_pass: { type: DataTypes.TEXT, allowNull: true },
  locked: { type: DataTypes.BOOLEAN, allowNull: false },
  locked_by: str(16, true),
  locked_reason: { type: DataTypes.TEXT, allowNull: true },
  reservation_id: str(255),
  launch_index: { type: DataTypes.INTEGER, allowNull: false },
  fault_code: { type: DataTypes.INTEGER, allowNull: true },
  fault_message: { type: DataTypes.TEXT, allowNull: true },
  fault_details: { type: DataTypes.TEXT, allowNull: true },
  ...serverFields(),
  shelved_image_id: str(36, true),
  shelved_at: { type: DataTypes.DATE, allowNull: true },
  task_request_id: str(255, true),
  ...moveFields(),
  launched_at: { type: DataTypes.DATE, allowNull: true },
  terminated_at: { type: DataTypes.DATE, allowNull: true },
  ...timestamps,
  ...softDelete,
};

export const indexes = [{ fields: ['project_id', 'created_at'] }, { fields: ['host'] }, { fields: ['vm_state'] }, { fields: ['deleted_at'] }];

/** What an insert must supply: the columns with a default may be left out. */
export type InstanceCreation = Optional<
  InstanceRow,
  'metadata' | 'tags' | 'config_drive' | 'auto_disk_config' | 'security_groups' | 'swap' | 'flavor_extra_specs' | 'force_host'
>;

export const define = (sequelize: Sequelize) =>
  defineRow<InstanceRow, InstanceCreation>(sequelize, 'Instance', attributes, { tableName: table, timestamps: false, indexes });
