import type { Static } from '@sinclair/typebox';
import type { InstanceRow } from '../../models/instance.js';
import type { instanceProtocol } from './protocol.js';
import { createdFields } from './fields.js';

export type { InstanceRow };
type Spec = typeof instanceProtocol.spec;
export type CreateInstance = Static<Spec['create']['payload']>;
export type BuildFailure = Static<Spec['buildFailed']['payload']>;

/**
 * Nova's hostname from a display name (utils.sanitize_hostname): characters beyond Latin-1
 * dropped, cut to 63, spaces, underscores and dots made dashes, anything else but word
 * characters and dashes removed, lower-cased, dashes and dots trimmed; `Server-<uuid>` if
 * nothing is left.
 */
export function hostnameFrom(displayName: string, uuid: string, suffix?: number): string {
  const name = [...displayName]
    .filter((c) => c.codePointAt(0)! <= 0xff)
    .join('')
    .slice(0, 63)
    .replace(/[ _.]/g, '-')
    .replace(/[^\p{L}\p{N}_.-]+/gu, '')
    .toLowerCase()
    .replace(/^[.-]+|[.-]+$/g, '');
  if (!name) return `Server-${uuid}`;
  // A multiple boot numbers the hostnames as it numbers the display names.
  return suffix ? `${name}-${suffix}` : name;
}

export const created = (uuid: string, p: CreateInstance, now: number): InstanceRow => ({
  uuid,
  project_id: p.project_id,
  user_id: p.user_id,
  display_name: p.display_name,
  display_description: p.display_description ?? null,
  hostname: p.hostname ?? hostnameFrom(p.hostname_base ?? p.display_name, uuid, p.hostname_suffix),
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
  ...createdFields(p),
  launched_at: null,
  terminated_at: null,
  created_at: new Date(now),
  updated_at: new Date(now),
  deleted_at: null,
});

export interface Placement {
  host: string;
  node: string;
  power_state: number;
  availability_zone?: string;
}

// A server booted without a zone takes its host's, as Nova records it once scheduled.
export const spawned = (s: InstanceRow, p: Placement, now: number): InstanceRow => ({
  ...s,
  vm_state: 'active',
  task_state: null,
  power_state: p.power_state,
  host: p.host,
  node: p.node,
  availability_zone: s.availability_zone ?? p.availability_zone ?? null,
  // The libvirt driver names the root disk when it builds the guest.
  root_device_name: s.root_device_name ?? '/dev/vda',
  launched_at: s.launched_at ?? new Date(now),
  // The host wrote the config drive before the guest started: the boot's password is not kept past the build.
  admin_pass: null,
  updated_at: new Date(now),
});

export const buildFailed = (s: InstanceRow, f: BuildFailure, now: number): InstanceRow => ({
  ...s,
  vm_state: 'error',
  task_state: null,
  power_state: 0,
  fault_code: f.code,
  fault_message: f.message,
  fault_details: f.details ?? null,
  admin_pass: null,
  updated_at: new Date(now),
});

// Nova shows a server being deleted with task_state 'deleting' until its host has destroyed it.
export const deleting = (s: InstanceRow, now: number): InstanceRow => ({ ...s, task_state: 'deleting', updated_at: new Date(now) });

export const deleted = (s: InstanceRow, now: number): InstanceRow => ({
  ...s,
  vm_state: 'deleted',
  task_state: null,
  deleted_at: new Date(now),
  terminated_at: new Date(now),
  updated_at: new Date(now),
});

export const failed = (s: InstanceRow, reason: string, now: number): InstanceRow => ({
  ...s,
  vm_state: 'error',
  task_state: null,
  fault_code: 500,
  fault_message: reason.slice(0, 255),
  fault_details: null,
  updated_at: new Date(now),
});
