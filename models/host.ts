import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from './columns.js';
import { defineRow } from './typed.js';

/** A hypervisor host: capacity, usage and the state of its compute service. */
export interface HostRow {
  name: string;
  availability_zone: string;
  hypervisor_type: string;
  libvirt_uri: string;
  /** The hypervisor's boot the host last saw; a new one means its guests are gone. */
  boot_id: string | null;
  /** What the hypervisor says it runs (migration 0012): its version as Nova encodes it, and the compute node's address. */
  hypervisor_version?: number | null;
  host_ip?: string | null;
  /** RAM kept back for the host itself (migration 0015): counted as used, as Nova's resource tracker does. */
  reserved_memory_mb?: number;
  /** The host CPU as the hypervisor describes it (Nova's cpu_info, a JSON object); null for simulated hosts. */
  cpu_info?: string | null;
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
  hypervisor_version: { type: DataTypes.INTEGER, allowNull: true },
  host_ip: { type: DataTypes.STRING(64), allowNull: true },
  reserved_memory_mb: int(),
  cpu_info: { type: DataTypes.TEXT, allowNull: true },
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

export const define = (sequelize: Sequelize) => defineRow<HostRow>(sequelize, 'Host', attributes, { tableName: table, timestamps: false });

/** What a host has free, or what a guest needs of one. */
export interface Capacity {
  readonly vcpus: number;
  readonly memory_mb: number;
  readonly disk_gb: number;
}

/** Free capacity under the host's allocation ratios, as Nova's resource filters and claims compute it. */
export const freeOf = (h: HostRow): Capacity => ({
  vcpus: h.vcpus * h.cpu_allocation_ratio - h.vcpus_used,
  memory_mb: h.memory_mb * h.ram_allocation_ratio - h.memory_mb_used - (h.reserved_memory_mb ?? 0),
  disk_gb: h.local_gb * h.disk_allocation_ratio - h.local_gb_used,
});

export const fits = (free: Capacity, need: Capacity) => free.vcpus >= need.vcpus && free.memory_mb >= need.memory_mb && free.disk_gb >= need.disk_gb;

/** Nova's servicegroup check: enabled, not forced down, not failed, and reported within service_down_time. */
export const serviceUp = (h: HostRow, now: number, serviceDownMs: number) =>
  h.status === 'up' && !h.service_disabled && !h.forced_down && h.last_seen_at !== null && now - new Date(h.last_seen_at).getTime() <= serviceDownMs;

/**
 * A host run by libvirt's test driver (a simulated hypervisor) rather than a real QEMU daemon: the actions that
 * copy or move a guest's disks work on these only, until real hosts learn them.
 */
export const isSimulated = (h: Pick<HostRow, 'libvirt_uri'>) => h.libvirt_uri.startsWith('test');
