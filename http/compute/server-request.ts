import { badRequest } from './errors.js';
import type { Microversion } from './microversion.js';
import { createSchema, updateSchema } from './schemas/servers.js';
import { checkBody } from './json-schema.js';
import { lenientBool } from './nova-values.js';
import { canonicalIpv6 } from './ip-address.js';
import { MAX_HINTED_SERVERS, type BlockDeviceMapping, type BootRequest, type RequestedNetworks } from '../../services/compute/boot-request.js';

export type { BootRequest, RequestedNetworks };

/** A reference that may be a bare id or a URL ending in one, as Nova reads flavorRef (common.get_id_from_href). */
const idOf = (ref: string) => {
  const path = ref.split(/[?#]/)[0].replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return path.split('/').pop() ?? '';
};

// Python truthiness: `return_reservation_id: "False"` is a non-empty string, so true, as in Nova.
const truthy = (v: unknown) => v === true || (typeof v === 'string' && v !== '');

/** A server create body's `server`, as its schema lets it through (name and flavorRef required). */
interface ServerCreateBody {
  name: string;
  flavorRef: string | number;
  imageRef?: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  networks?: RequestedNetworks;
  'OS-DCF:diskConfig'?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  personality?: BootRequest['personality'];
  availability_zone?: string;
  block_device_mapping_v2?: BlockDeviceMapping[];
  block_device_mapping?: unknown[];
  config_drive?: string | boolean;
  key_name?: string;
  min_count?: string | number;
  max_count?: string | number;
  return_reservation_id?: unknown;
  security_groups?: Array<{ name?: string }>;
  user_data?: string;
  description?: string | null;
  tags?: string[];
  trusted_image_certificates?: string[] | null;
  host?: string;
  hypervisor_hostname?: string;
  hostname?: string;
}

/** The scheduler hints, under either of Nova's keys (beside `server`, not inside it). */
type HintsBody = Record<
  'os:scheduler_hints' | 'OS-SCH-HNT:scheduler_hints',
  { group?: string; same_host?: string | string[]; different_host?: string | string[] } | undefined
>;

/** A server update body's `server`, as its schema lets it through. */
interface ServerUpdateBody {
  name?: string;
  description?: string | null;
  hostname?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  'OS-DCF:diskConfig'?: string;
}

/** Checks a server create body (the whole request body) as Nova does before anything is looked up. */
export function parseBootRequest(body: unknown, v: Microversion): BootRequest {
  checkBody(createSchema(v), body);
  const server = (body as { server: ServerCreateBody }).server;
  const minCount = server.min_count === undefined ? 1 : Number(server.min_count);
  const maxCount = server.max_count === undefined ? minCount : Number(server.max_count);
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
  const groups = server.security_groups;
  return {
    name: server.name,
    flavorRef: idOf(String(server.flavorRef)),
    imageRef: server.imageRef ?? '',
    imageRefGiven: server.imageRef !== undefined,
    adminPass: server.adminPass,
    metadata: server.metadata ?? {},
    networks: server.networks,
    autoDiskConfig: server['OS-DCF:diskConfig'] === undefined ? undefined : server['OS-DCF:diskConfig'] === 'AUTO',
    accessIPv4: server.accessIPv4,
    accessIPv6: server.accessIPv6 === undefined ? undefined : canonicalIpv6(server.accessIPv6),
    personality: server.personality ?? [],
    availabilityZone: server.availability_zone,
    blockDevices: server.block_device_mapping_v2 ?? [],
    legacyBlockDevices: Boolean(server.block_device_mapping?.length),
    configDrive: server.config_drive !== undefined && lenientBool(String(server.config_drive)),
    keyName: server.key_name,
    minCount,
    maxCount,
    returnReservationId: truthy(server.return_reservation_id),
    securityGroups: groups ? [...new Set(groups.map((g) => g.name).filter((n): n is string => Boolean(n)))] : undefined,
    securityGroupsEcho: groups ?? [{ name: 'default' }],
    userData: server.user_data,
    description: v.atLeast('2.19') ? (server.description ?? null) : server.name,
    tags: v.atLeast('2.52') ? (server.tags ?? []) : [],
    trustedCerts: server.trusted_image_certificates ?? undefined,
    host: server.host,
    hypervisorHostname: server.hypervisor_hostname,
    hostname: v.atLeast('2.90') ? server.hostname : undefined,
    group: hintsOf(body as HintsBody)?.group,
    hostHints: hostHints(body as HintsBody),
  };
}

const hintsOf = (body: HintsBody) => body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'];

/** same_host / different_host, a server id or a list of them (Nova keeps each hint as a list), bounded. */
function hostHints(body: HintsBody): BootRequest['hostHints'] {
  const hints = hintsOf(body);
  const listed = (name: 'same_host' | 'different_host') => {
    const value = hints?.[name];
    if (value === undefined) return {};
    const ids = [...new Set(typeof value === 'string' ? [value] : value)];
    if (ids.length > MAX_HINTED_SERVERS) throw badRequest(`The scheduler hint ${name} names more than ${MAX_HINTED_SERVERS} servers.`);
    return { [name]: ids };
  };
  const found = { ...listed('same_host'), ...listed('different_host') };
  return Object.keys(found).length ? found : undefined;
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
  const server = (body as { server: ServerUpdateBody }).server;
  return {
    ...(server.name !== undefined ? { display_name: server.name } : {}),
    ...(server.description !== undefined ? { display_description: server.description } : {}),
    ...(server.hostname !== undefined ? { hostname: server.hostname } : {}),
    ...(server.accessIPv4 !== undefined ? { access_ip_v4: server.accessIPv4 } : {}),
    ...(server.accessIPv6 !== undefined ? { access_ip_v6: canonicalIpv6(server.accessIPv6) } : {}),
    ...(server['OS-DCF:diskConfig'] !== undefined ? { auto_disk_config: server['OS-DCF:diskConfig'] === 'AUTO' } : {}),
  };
}
