import type { Static } from '@sinclair/typebox';
import type { VolumeRow } from '../../models/volume.js';
import type { volumeProtocol } from './protocol.js';

export type { VolumeRow };
export type CreateVolume = Static<(typeof volumeProtocol.spec)['create']['payload']>;

export const created = (uuid: string, p: CreateVolume, now: number): VolumeRow => ({
  uuid,
  project_id: p.project_id,
  name: p.name,
  size_gb: p.size_gb,
  status: 'available',
  attached_to: null,
  failure_reason: null,
  created_at: new Date(now),
  updated_at: new Date(now),
  deleted_at: null,
});

export const attached = (s: VolumeRow, instance_uuid: string, now: number): VolumeRow => ({
  ...s,
  status: 'in-use',
  attached_to: instance_uuid,
  updated_at: new Date(now),
});

export const detached = (s: VolumeRow, now: number): VolumeRow => ({ ...s, status: 'available', attached_to: null, updated_at: new Date(now) });

export const deleted = (s: VolumeRow, now: number): VolumeRow => ({ ...s, status: 'deleted', deleted_at: new Date(now), updated_at: new Date(now) });

// attached_to is kept: an operator needs to know which server a broken volume was on.
export const failed = (s: VolumeRow, reason: string, now: number): VolumeRow => ({
  ...s,
  status: 'error',
  failure_reason: reason,
  updated_at: new Date(now),
});
