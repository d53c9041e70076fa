import { badRequest } from './errors.js';
import type { Microversion } from './microversion.js';
import { createSchema, updateSchema } from './schemas/servers.js';
import { checkBody } from './json-schema.js';
import { isUuidLike, lenientBool } from './nova-values.js';

export type RequestedNetworks = 'auto' | 'none' | Array<{ uuid?: string; port?: string | null; fixed_ip?: string; tag?: string }>;

/** A `POST /servers` body that passed Nova's schema for the microversion. */
export interface BootRequest {
  readonly name: string;
  readonly flavorRef: string;
  readonly imageRef: string;
  /** As given; Nova generates one when absent. */
  readonly adminPass?: string;
  readonly metadata: Record<string, string>;
  readonly networks?: RequestedNetworks;
  readonly autoDiskConfig?: boolean;
  readonly accessIPv4?: string;
  readonly accessIPv6?: string;
  readonly personality: ReadonlyArray<{ path?: string; contents?: string }>;
  readonly availabilityZone?: string;
  readonly blockDevices: boolean;
  readonly configDrive: boolean;
  readonly keyName?: string;
  readonly minCount: number;
  readonly maxCount: number;
  readonly returnReservationId: boolean;
  /** The names asked for, once each; undefined: the default group. */
  readonly securityGroups?: string[];
  /** The request's security_groups as sent, which the 202 echoes. */
  readonly securityGroupsEcho: unknown;
  readonly userData?: string;
  /** Before 2.19 Nova records the name as the description. */
  readonly description: string | null;
  readonly tags: string[];
  readonly trustedCerts?: string[];
  readonly host?: string;
  readonly hypervisorHostname?: string;
  readonly hostname?: string;
}

/** A reference that may be a bare id or a URL ending in one, as Nova reads flavorRef (common.get_id_from_href). */
const idOf = (ref: string) => {
  const path = ref.split(/[?#]/)[0].replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return path.split('/').pop() ?? '';
};

// Python truthiness: `return_reservation_id: "False"` is a non-empty string, so true, as in Nova.
const truthy = (v: unknown) => v === true || (typeof v === 'string' && v !== '');

/** Checks a server create body (the whole request body) as Nova does before anything is looked up. */
export function parseBootRequest(body: unknown, v: Microversion): BootRequest {
  checkBody(createSchema(v), body);
  const server = (body as { server: Record<string, any> }).server;
  const minCount = server.min_count === undefined ? 1 : Number(server.min_count);
  const maxCount = server.max_count === undefined ? minCount : Number(server.max_count);
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
  const groups = server.security_groups as Array<{ name?: string }> | undefined;
  return {
    name: server.name,
    flavorRef: idOf(String(server.flavorRef)),
    imageRef: server.imageRef ?? '',
    adminPass: server.adminPass,
    metadata: server.metadata ?? {},
    networks: server.networks,
    autoDiskConfig: server['OS-DCF:diskConfig'] === undefined ? undefined : server['OS-DCF:diskConfig'] === 'AUTO',
    accessIPv4: server.accessIPv4,
    accessIPv6: server.accessIPv6,
    personality: server.personality ?? [],
    availabilityZone: server.availability_zone,
    blockDevices: Boolean(server.block_device_mapping?.length || server.block_device_mapping_v2?.length),
    configDrive: server.config_drive !== undefined && lenientBool(String(server.config_drive)),
    keyName: server.key_name,
    minCount, maxCount,
    returnReservationId: truthy(server.return_reservation_id),
    securityGroups: groups ? [...new Set(groups.map((g) => g.name).filter((n): n is string => Boolean(n)))] : undefined,
    securityGroupsEcho: groups ?? [{ name: 'default' }],
    userData: server.user_data,
    description: v.atLeast('2.19') ? server.description ?? null : server.name,
    tags: v.atLeast('2.52') ? server.tags ?? [] : [],
    trustedCerts: server.trusted_image_certificates ?? undefined,
    host: server.host,
    hypervisorHostname: server.hypervisor_hostname,
    hostname: v.atLeast('2.90') ? server.hostname : undefined,
  };
}

/**
 * The networks a boot asks for, checked as Nova's _get_requested_networks does. There is no
 * network service yet, so a named network or port cannot exist: Nova's 400 for a missing one.
 */
export function checkNetworks(networks: RequestedNetworks | undefined): void {
  if (!Array.isArray(networks)) return;
  const ports: string[] = [];
  for (const network of networks) {
    if (network.port) {
      if (ports.includes(network.port)) {
        throw badRequest(`Port ID '${network.port}' was specified twice: you cannot attach a port multiple times.`);
      }
      if (network.fixed_ip !== undefined) {
        throw badRequest(`Specified Fixed IP '${network.fixed_ip}' cannot be used with port '${network.port}': the two cannot be specified together.`);
      }
      ports.push(network.port);
      continue;
    }
    if (network.uuid === undefined) throw badRequest("Bad network format: missing 'uuid'");
    if (!isUuidLike(network.uuid)) throw badRequest(`Bad networks format: network uuid is not in proper format (${network.uuid})`);
  }
}

/** The first network or port a boot names, which cannot be found. */
export function missingNetwork(networks: RequestedNetworks | undefined): string | undefined {
  if (!Array.isArray(networks) || !networks.length) return undefined;
  const port = networks.find((n) => n.port);
  if (port) return `Port id ${port.port} could not be found.`;
  return `Network ${networks.map((n) => n.uuid).join(', ')} could not be found.`;
}

/** A `PUT /servers/{id}` body that passed Nova's schema: the instance fields it changes. */
export interface ServerUpdate {
  display_name?: string;
  display_description?: string | null;
  hostname?: string;
  access_ip_v4?: string;
  access_ip_v6?: string;
  auto_disk_config?: boolean;
}

export function parseServerUpdate(body: unknown, v: Microversion): ServerUpdate {
  checkBody(updateSchema(v), body);
  const server = (body as { server: Record<string, any> }).server;
  return {
    ...(server.name !== undefined ? { display_name: server.name } : {}),
    ...(server.description !== undefined ? { display_description: server.description } : {}),
    ...(server.hostname !== undefined ? { hostname: server.hostname } : {}),
    ...(server.accessIPv4 !== undefined ? { access_ip_v4: server.accessIPv4 } : {}),
    ...(server.accessIPv6 !== undefined ? { access_ip_v6: server.accessIPv6 } : {}),
    ...(server['OS-DCF:diskConfig'] !== undefined ? { auto_disk_config: server['OS-DCF:diskConfig'] === 'AUTO' } : {}),
  };
}
