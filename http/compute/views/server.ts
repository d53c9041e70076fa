import { createHash } from 'node:crypto';
import type { HostRow, InstanceRow } from '../../../models/index.js';
import { serviceUp } from '../../../models/host.js';
import { dbBool } from '../../db-values.js';
import type { Microversion } from '../microversion.js';
import { isoMicros, isoSeconds, links, type ComputeServices } from '../services.js';
import { statusOf } from './status.js';
import type { ServerAddress } from '../../../services/network/index.js';

/**
 * What a view needs beyond the row: who asks, at which version, for which response, and the
 * hosts of the servers shown (for host_status, admins from 2.16).
 *
 * `shape` is Nova's difference between responses: a list's detail and a show are the same but
 * for server_groups (2.71, show only); an update's body before 2.75 leaves out the extensions
 * (zone, config drive, key, usage, security groups, extended attributes and statuses, volumes).
 */
export interface ViewContext {
  readonly version: Microversion;
  readonly isAdmin: boolean;
  readonly shape: 'detail' | 'show' | 'update';
  readonly hostStatus?: (host: string | null) => string;
  /** The server's groups (2.71's server_groups, a show's and an update's). */
  readonly serverGroups?: (uuid: string) => string[];
  /** With a Networking service: the server's addresses and its ports' security group names. */
  readonly network?: { addresses(uuid: string): readonly ServerAddress[]; securityGroups(uuid: string): readonly string[] | undefined };
}

/**
 * Nova's `addresses`: by network name, each address with its version, type and MAC — or, in the shorter update and
 * rebuild bodies before 2.75 (Nova's extend_address=False), with its version and address alone.
 */
export function addressesView(addresses: readonly ServerAddress[], extended = true) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const a of addresses) {
    (out[a.network] ??= []).push(
      extended
        ? { version: a.version, addr: a.addr, 'OS-EXT-IPS:type': a.type, 'OS-EXT-IPS-MAC:mac_addr': a.mac }
        : { version: a.version, addr: a.addr },
    );
  }
  return out;
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
    hostIds.set(key, (id = createHash('sha224').update(key).digest('hex')));
  }
  return id;
}

// The JSON columns nearly always hold their defaults: those need no parsing.
const parsed = <T>(text: string | null | undefined, empty: () => T): T =>
  !text || text === '{}' || text === '[]' ? empty() : (JSON.parse(text) as T);
export const metadataOf = (i: Pick<InstanceRow, 'metadata'>) => parsed<Record<string, string>>(i.metadata, () => ({}));
export const tagsOf = (i: Pick<InstanceRow, 'tags'>) => parsed<string[]>(i.tags, () => []);
const securityGroupsOf = (i: InstanceRow) =>
  (i.security_groups === '["default"]' ? ['default'] : parsed<string[]>(i.security_groups, () => [])).map((name) => ({ name }));

export const serverSummary = (s: ComputeServices, i: Pick<InstanceRow, 'uuid' | 'display_name'>) => ({
  id: i.uuid,
  name: i.display_name,
  links: links(s, `servers/${i.uuid}`),
});

/** Nova's host_status: UP, DOWN (forced down), MAINTENANCE (disabled), UNKNOWN (silent), or '' with no host. */
export function hostStatusOf(hosts: ReadonlyMap<string, HostRow>, now: number, serviceDownMs: number) {
  const statuses = new Map<string, string>();
  return (name: string | null): string => {
    const h = name ? hosts.get(name) : undefined;
    if (!h) return '';
    let status = statuses.get(h.name);
    if (status === undefined) {
      status = dbBool(h.forced_down)
        ? 'DOWN'
        : dbBool(h.service_disabled)
          ? 'MAINTENANCE'
          : serviceUp({ ...h, service_disabled: false }, now, serviceDownMs)
            ? 'UP'
            : 'UNKNOWN';
      statuses.set(h.name, status);
    }
    return status;
  };
}

function fault(i: InstanceRow, isAdmin: boolean) {
  if (!i.fault_code) return {};
  // Details of internal errors are for admins only, as Nova shows them.
  const details = i.fault_details && (isAdmin || i.fault_code !== 500) ? { details: i.fault_details } : {};
  return { fault: { code: i.fault_code, created: isoSeconds(i.updated_at), message: i.fault_message, ...details } };
}

function flavorOf(s: ComputeServices, i: InstanceRow, v: Microversion) {
  if (!v.atLeast('2.47')) return { id: i.flavor_id, links: [{ rel: 'bookmark', href: `${s.publicUrl()}/flavors/${i.flavor_id}` }] };
  // os_compute_api:servers:show:flavor-extra-specs is a project reader's rule: everyone who sees the server.
  return {
    vcpus: i.vcpus,
    ram: i.memory_mb,
    disk: i.root_gb,
    ephemeral: i.ephemeral_gb,
    swap: i.swap ?? 0,
    original_name: i.flavor_name ?? i.flavor_id,
    extra_specs: parsed<Record<string, string>>(i.flavor_extra_specs, () => ({})),
  };
}

const PROGRESS = ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'];

/** The columns `serverDetail` reads at a version, so a long list reads no more than it shows. */
export function detailColumns(c: Pick<ViewContext, 'version' | 'isAdmin'>): string[] {
  const v = c.version;
  return [
    'uuid',
    'display_name',
    'vm_state',
    'task_state',
    'power_state',
    'project_id',
    'user_id',
    'host',
    'node',
    'image_ref',
    'flavor_id',
    'created_at',
    'updated_at',
    'deleted_at',
    'availability_zone',
    'key_name',
    'launched_at',
    'terminated_at',
    'fault_code',
    'fault_message',
    'fault_details',
    'metadata',
    'access_ip_v4',
    'access_ip_v6',
    'config_drive',
    'auto_disk_config',
    'security_groups',
    ...(c.isAdmin && v.atLeast('2.3') ? ['reservation_id', 'launch_index', 'root_device_name', 'user_data'] : []),
    ...((c.isAdmin && v.atLeast('2.3')) || v.atLeast('2.90') ? ['hostname'] : []),
    ...(v.atLeast('2.9') ? ['locked'] : []),
    ...(v.atLeast('2.19') ? ['display_description'] : []),
    ...(v.atLeast('2.26') ? ['tags'] : []),
    ...(v.atLeast('2.47') ? ['vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'flavor_name', 'swap', 'flavor_extra_specs'] : []),
    ...(v.atLeast('2.63') ? ['trusted_certs'] : []),
    ...(v.atLeast('2.73') ? ['locked_reason'] : []),
  ];
}

/** A server as Nova's show, detail and update present it, shaped by the request's microversion. */
export function serverDetail(s: ComputeServices, i: InstanceRow, c: ViewContext) {
  const v = c.version;
  const full = c.shape !== 'update' || v.atLeast('2.75');
  const status = i.deleted_at ? 'DELETED' : statusOf(i.vm_state, i.task_state);
  const fromPorts = c.network?.securityGroups(i.uuid);
  const groups = full ? (fromPorts?.length ? fromPorts.map((name) => ({ name })) : securityGroupsOf(i)) : [];
  const extended = full && c.isAdmin;
  return {
    id: i.uuid,
    name: i.display_name,
    status,
    tenant_id: i.project_id,
    user_id: i.user_id,
    metadata: metadataOf(i),
    hostId: hostId(i),
    image: i.image_ref ? { id: i.image_ref, links: [{ rel: 'bookmark', href: `${s.publicUrl()}/images/${i.image_ref}` }] } : '',
    flavor: flavorOf(s, i, v),
    created: isoSeconds(i.created_at),
    updated: isoSeconds(i.updated_at),
    addresses: c.network ? addressesView(c.network.addresses(i.uuid), full) : {},
    accessIPv4: i.access_ip_v4 ?? '',
    accessIPv6: i.access_ip_v6 ?? '',
    links: links(s, `servers/${i.uuid}`),
    'OS-DCF:diskConfig': dbBool(i.auto_disk_config) ? 'AUTO' : 'MANUAL',
    ...(status === 'ERROR' || status === 'DELETED' ? fault(i, c.isAdmin) : {}),
    ...(PROGRESS.includes(status) ? { progress: 0 } : {}),
    ...(full
      ? {
          'OS-EXT-AZ:availability_zone': i.availability_zone ?? '',
          config_drive: i.config_drive ?? '',
          key_name: i.key_name,
          'OS-SRV-USG:launched_at': isoMicros(i.launched_at),
          'OS-SRV-USG:terminated_at': isoMicros(i.terminated_at),
          ...(groups.length ? { security_groups: groups } : {}),
        }
      : {}),
    ...(extended
      ? {
          'OS-EXT-SRV-ATTR:host': i.host,
          'OS-EXT-SRV-ATTR:instance_name': `instance-${i.uuid.slice(0, 8)}`,
          'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
          ...(v.atLeast('2.3')
            ? {
                'OS-EXT-SRV-ATTR:reservation_id': i.reservation_id,
                'OS-EXT-SRV-ATTR:launch_index': i.launch_index,
                'OS-EXT-SRV-ATTR:hostname': i.hostname,
                'OS-EXT-SRV-ATTR:kernel_id': '',
                'OS-EXT-SRV-ATTR:ramdisk_id': '',
                'OS-EXT-SRV-ATTR:root_device_name': i.root_device_name ?? null,
                'OS-EXT-SRV-ATTR:user_data': i.user_data ?? null,
              }
            : {}),
        }
      : {}),
    ...(full
      ? {
          'OS-EXT-STS:task_state': i.task_state,
          'OS-EXT-STS:vm_state': i.vm_state,
          'OS-EXT-STS:power_state': i.power_state,
          'os-extended-volumes:volumes_attached': [],
        }
      : {}),
    ...(extended && v.atLeast('2.16') && c.hostStatus ? { host_status: c.hostStatus(i.host) } : {}),
    ...(v.atLeast('2.9') ? { locked: dbBool(i.locked) } : {}),
    ...(v.atLeast('2.73') ? { locked_reason: i.locked_reason ?? null } : {}),
    ...(v.atLeast('2.19') ? { description: i.display_description ?? null } : {}),
    ...(v.atLeast('2.26') ? { tags: tagsOf(i) } : {}),
    ...(v.atLeast('2.63') ? { trusted_image_certificates: i.trusted_certs ? (JSON.parse(i.trusted_certs) as string[]) : null } : {}),
    // From 2.90 the hostname is for everyone; admins have it already among the extended attributes.
    ...(v.atLeast('2.90') && !extended ? { 'OS-EXT-SRV-ATTR:hostname': i.hostname } : {}),
    ...(c.shape !== 'detail' && v.atLeast('2.71') ? { server_groups: c.serverGroups?.(i.uuid) ?? [] } : {}),
  };
}
