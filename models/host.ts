import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';

/** A hypervisor host: capacity, usage and the state of its compute service. */
export interface HostRow {
  name: string;
  availability_zone: string;
  hypervisor_type: string;
  libvirt_uri: string;
  /** The hypervisor's boot the host last saw; a new one means its guests are gone. */
  boot_id: string | null;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  running_vms: number;
  cpu_allocation_ratio: number;
  ram_allocation_ratio: number;
  disk_allocation_ratio: number;
  service_disabled: boolean;
  disabled_reason: string | null;
  forced_down: boolean;
  status: string;
  failure_reason: string | null;
  last_seen_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const table = 'hosts';

// Fresh objects per column: Sequelize writes into a column's options, so one shared object would merge columns.
const int = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
const ratio = () => ({ type: DataTypes.FLOAT, allowNull: false });

export const attributes: ModelAttributes = {
  name: { type: DataTypes.STRING(255), primaryKey: true },
  availability_zone: { type: DataTypes.STRING(255), allowNull: false },
  hypervisor_type: { type: DataTypes.STRING(32), allowNull: false },
  libvirt_uri: { type: DataTypes.STRING(1024), allowNull: false },
  boot_id: { type: DataTypes.STRING(64), allowNull: true },
  vcpus: int(),
  memory_mb: int(),
  local_gb: int(),
  vcpus_used: int(),
  memory_mb_used: int(),
  local_gb_used: int(),
  running_vms: int(),
  cpu_allocation_ratio: ratio(),
  ram_allocation_ratio: ratio(),
  disk_allocation_ratio: ratio(),
  service_disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  disabled_reason: { type: DataTypes.TEXT, allowNull: true },
  forced_down: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  failure_reason: { type: DataTypes.TEXT, allowNull: true },
  last_seen_at: { type: DataTypes.DATE, allowNull: true },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => sequelize.define('Host', attributes, { tableName: table, timestamps: false });
