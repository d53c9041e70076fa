import type { Static } from '@sinclair/typebox';
import type { InstanceRow } from '../../models/instance.js';
import type { instanceProtocol } from './protocol.js';

export type { InstanceRow };
type Spec = typeof instanceProtocol.spec;
export type CreateInstance = Static<Spec['create']['payload']>;
export type SetInstanceState = Static<Spec['setState']['payload']>;
export type BuildFailure = Static<Spec['buildFailed']['payload']>;

/** Nova's hostname from a display name: DNS-safe, at most 63 characters, never empty. */
export function hostnameFrom(displayName: string): string {
  const name = displayName.toLowerCase().replace(/[^a-z0-9]/g, '-').slice(0, 63).replace(/^-+|-+$/g, '');
  return name || 'server';
}

export const created = (uuid: string, p: CreateInstance, now: number): InstanceRow => ({
  uuid,
  project_id: p.project_id,
  user_id: p.user_id,
  display_name: p.display_name,
  display_description: p.display_description ?? null,
  hostname: hostnameFrom(p.display_name),
  vm_state: 'building',
  task_state: 'scheduling',
  power_state: 0,
  host: null,
  node: null,
  availability_zone: p.availability_zone,
  flavor_id: p.flavor_id,
  flavor_name: p.flavor_name ?? null,
  memory_mb: p.memory_mb,
  vcpus: p.vcpus,
  root_gb: p.root_gb,
  ephemeral_gb: p.ephemeral_gb ?? 0,
  image_ref: p.image_ref,
  key_name: p.key_name ?? null,
  locked: false,
  locked_by: null,
  locked_reason: null,
  reservation_id: p.reservation_id,
  launch_index: p.launch_index ?? 0,
  fault_code: null,
  fault_message: null,
  fault_details: null,
  launched_at: null,
  terminated_at: null,
  created_at: new Date(now),
  updated_at: new Date(now),
  deleted_at: null,
});

// Nova keeps the hostname when a server is renamed.
export const renamed = (s: InstanceRow, display_name: string, now: number): InstanceRow =>
  ({ ...s, display_name, updated_at: new Date(now) });

export const stateSet = (s: InstanceRow, p: SetInstanceState, now: number): InstanceRow => ({
  ...s,
  vm_state: p.vm_state,
  task_state: p.task_state,
  power_state: p.power_state,
  // Omitted means unchanged; null clears the placement.
  host: p.host === undefined ? s.host : p.host,
  node: p.node === undefined ? s.node : p.node,
  // launched_at records the first time the server became active, as Nova's does.
  launched_at: s.launched_at ?? (p.vm_state === 'active' ? new Date(now) : null),
  updated_at: new Date(now),
});

export interface Placement { host: string; node: string; power_state: number; availability_zone?: string }

// A server booted without a zone takes its host's, as Nova records it once scheduled.
export const spawned = (s: InstanceRow, p: Placement, now: number): InstanceRow => ({
  ...s, vm_state: 'active', task_state: null, power_state: p.power_state, host: p.host, node: p.node,
  availability_zone: s.availability_zone ?? p.availability_zone ?? null,
  launched_at: s.launched_at ?? new Date(now), updated_at: new Date(now),
});

export const buildFailed = (s: InstanceRow, f: BuildFailure, now: number): InstanceRow => ({
  ...s, vm_state: 'error', task_state: null, power_state: 0,
  fault_code: f.code, fault_message: f.message, fault_details: f.details ?? null, updated_at: new Date(now),
});

export const powerSynced = (s: InstanceRow, power_state: number, now: number): InstanceRow =>
  ({ ...s, power_state, updated_at: new Date(now) });

// Nova shows a server being deleted with task_state 'deleting' until its host has destroyed it.
export const deleting = (s: InstanceRow, now: number): InstanceRow =>
  ({ ...s, task_state: 'deleting', updated_at: new Date(now) });

export const deleted = (s: InstanceRow, now: number): InstanceRow => ({
  ...s, vm_state: 'deleted', task_state: null, deleted_at: new Date(now), terminated_at: new Date(now), updated_at: new Date(now),
});

export const failed = (s: InstanceRow, reason: string, now: number): InstanceRow => ({
  ...s, vm_state: 'error', task_state: null,
  fault_code: 500, fault_message: reason.slice(0, 255), fault_details: null, updated_at: new Date(now),
});
