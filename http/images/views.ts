import type { ImageRow } from '../../models/index.js';
import { dbBool as bool } from '../db-values.js';

const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
export const formats = { disk: DISK_FORMATS, container: CONTAINER_FORMATS };

/** Properties Glance manages itself; users may not set them. */
export const READ_ONLY = new Set([
  'id',
  'status',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'locations',
  'direct_url',
  'owner',
]);
export const CORE = new Set([
  ...READ_ONLY,
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'tags',
]);

/** Glance's timestamps: ISO 8601 to the second. */
export const iso = (d: Date | string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface FullImage {
  row: ImageRow;
  properties: Record<string, string>;
  tags: string[];
}

export function imageView({ row, properties, tags }: FullImage) {
  return {
    ...properties,
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    protected: bool(row.protected),
    os_hidden: bool(row.os_hidden),
    owner: row.owner,
    disk_format: row.disk_format,
    container_format: row.container_format,
    size: row.size === null ? null : Number(row.size),
    virtual_size: row.virtual_size === null ? null : Number(row.virtual_size),
    checksum: row.checksum,
    os_hash_algo: row.os_hash_algo,
    os_hash_value: row.os_hash_value,
    min_disk: row.min_disk,
    min_ram: row.min_ram,
    tags: [...tags].sort(),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    self: `/v2/images/${row.id}`,
    file: `/v2/images/${row.id}/file`,
    schema: '/v2/schemas/image',
  };
}

export const isTrue = bool;
