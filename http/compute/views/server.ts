import { createHash } from 'node:crypto';
import type { InstanceRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import type { Microversion } from '../microversion.js';
import { isoMicros, isoSeconds, links, type ComputeServices } from '../services.js';
import { statusOf } from './status.js';

/** What a view needs beyond the row: who asks, at which version, and the flavor when it is embedded (2.47). */
export interface ViewContext {
  readonly version: Microversion;
  readonly isAdmin: boolean;
  readonly flavor?: { swap: number; name: string };
}

// Nova's hostId: the same for a project's servers on one host, meaningless across projects.
// Few distinct pairs appear in a list, so their digests are kept.
const hostIds = new Map<string, string>();
function hostId(i: InstanceRow): string {
  if (!i.host) return '';
  const key = i.project_id + i.host;
  let id = hostIds.get(key);
  if (id === undefined) {
    if (hostIds.size > 10_000) hostIds.clear();
    hostIds.set(key, id = createHash('sha224').update(key).digest('hex'));
  }
  return id;
}

export const serverSummary = (s: ComputeServices, i: InstanceRow) => ({ id: i.uuid, name: i.display_name, links: links(s, `servers/${i.uuid}`) });

function fault(i: InstanceRow, isAdmin: boolean) {
  if (!i.fault_code || !['error', 'deleted'].includes(i.vm_state)) return {};
  // Details of internal errors are for admins only, as Nova shows them.
  const details = i.fault_details && (isAdmin || i.fault_code !== 500) ? { details: i.fault_details } : {};
  return { fault: { code: i.fault_code, created: isoSeconds(i.updated_at), message: i.fault_message, ...details } };
}

function flavorOf(s: ComputeServices, i: InstanceRow, c: ViewContext) {
  if (!c.version.atLeast('2.47')) return { id: i.flavor_id, links: [{ rel: 'bookmark', href: `${s.publicUrl()}/flavors/${i.flavor_id}` }] };
  return {
    vcpus: i.vcpus, ram: i.memory_mb, disk: i.root_gb, ephemeral: i.ephemeral_gb, swap: c.flavor?.swap ?? 0,
    original_name: i.flavor_name ?? c.flavor?.name ?? i.flavor_id, ...(c.isAdmin ? { extra_specs: {} } : {}),
  };
}

/** The columns `serverDetail` reads at a version, so a long list reads no more than it shows. */
export function detailColumns(c: Omit<ViewContext, 'flavor'>): string[] {
  const v = c.version;
  return [
    'uuid', 'display_name', 'vm_state', 'task_state', 'power_state', 'project_id', 'user_id', 'host', 'node', 'image_ref',
    'flavor_id', 'created_at', 'updated_at', 'availability_zone', 'key_name', 'launched_at', 'terminated_at',
    'fault_code', 'fault_message', 'fault_details',
    ...(c.isAdmin && v.atLeast('2.3') ? ['reservation_id', 'launch_index'] : []),
    ...((c.isAdmin && v.atLeast('2.3')) || v.atLeast('2.90') ? ['hostname'] : []),
    ...(v.atLeast('2.9') ? ['locked'] : []),
    ...(v.atLeast('2.19') ? ['display_description'] : []),
    ...(v.atLeast('2.47') ? ['vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'flavor_name'] : []),
    ...(v.atLeast('2.73') ? ['locked_reason'] : []),
  ];
}

/** A server as Nova's show and detail present it, shaped by the request's microversion. */
export function serverDetail(s: ComputeServices, i: InstanceRow, c: ViewContext) {
  const v = c.version;
  const status = statusOf(i.vm_state, i.task_state);
  const admin = c.isAdmin ? {
    'OS-EXT-SRV-ATTR:host': i.host,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
    'OS-EXT-SRV-ATTR:instance_name': `instance-${i.uuid.slice(0, 8)}`,
    ...(v.atLeast('2.3') ? {
      'OS-EXT-SRV-ATTR:reservation_id': i.reservation_id, 'OS-EXT-SRV-ATTR:launch_index': i.launch_index,
      'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '', 'OS-EXT-SRV-ATTR:root_device_name': null,
      'OS-EXT-SRV-ATTR:user_data': null,
    } : {}),
  } : {};
  const hostname = (c.isAdmin && v.atLeast('2.3')) || v.atLeast('2.90') ? { 'OS-EXT-SRV-ATTR:hostname': i.hostname } : {};
  return {
    id: i.uuid,
    name: i.display_name,
    status,
    tenant_id: i.project_id,
    user_id: i.user_id,
    metadata: {},
    hostId: hostId(i),
    image: i.image_ref ? { id: i.image_ref, links: [{ rel: 'bookmark', href: `${s.publicUrl()}/images/${i.image_ref}` }] } : '',
    flavor: flavorOf(s, i, c),
    created: isoSeconds(i.created_at),
    updated: isoSeconds(i.updated_at),
    addresses: {},
    accessIPv4: '',
    accessIPv6: '',
    links: links(s, `servers/${i.uuid}`),
    'OS-DCF:diskConfig': 'MANUAL',
    ...(['BUILD', 'ACTIVE'].includes(status) ? { progress: 0 } : {}),
    'OS-EXT-AZ:availability_zone': i.availability_zone ?? '',
    config_drive: '',
    key_name: i.key_name,
    'OS-SRV-USG:launched_at': isoMicros(i.launched_at),
    'OS-SRV-USG:terminated_at': isoMicros(i.terminated_at),
    ...admin,
    ...hostname,
    'OS-EXT-STS:task_state': i.task_state,
    'OS-EXT-STS:vm_state': i.vm_state,
    'OS-EXT-STS:power_state': i.power_state,
    'os-extended-volumes:volumes_attached': [],
    security_groups: [{ name: 'default' }],
    ...fault(i, c.isAdmin),
    ...(v.atLeast('2.9') ? { locked: dbBool(i.locked) } : {}),
    ...(v.atLeast('2.16') && c.isAdmin ? { host_status: i.host ? 'UP' : '' } : {}),
    ...(v.atLeast('2.19') ? { description: i.display_description } : {}),
    ...(v.atLeast('2.26') ? { tags: [] } : {}),
    ...(v.atLeast('2.63') ? { trusted_image_certificates: null } : {}),
    ...(v.atLeast('2.73') ? { locked_reason: i.locked_reason } : {}),
  };
}
