import { badRequest } from './errors.js';

/** oslo's is_uuid_like: 32 hex digits once `urn:`, `uuid:`, braces and dashes are dropped. */
export const isUuidLike = (value: string) =>
  /^[0-9a-f]{32}$/.test(
    value
      .toLowerCase()
      .replace(/^urn:/, '')
      .replace(/^uuid:/, '')
      .replace(/[{}-]/g, ''),
  );

export type RequestedNetworks = 'auto' | 'none' | Array<{ uuid?: string; port?: string | null; fixed_ip?: string; tag?: string }>;

/** One `block_device_mapping_v2` entry, as far as the compute service reads it. */
export interface BlockDeviceMapping {
  readonly source_type?: string;
  readonly destination_type?: string;
  readonly uuid?: string;
  readonly boot_index?: number | string | null;
}

/**
 * A boot request in the compute service's terms, whichever API it came through (the Compute API
 * checks the body against Nova's schema for the microversion first).
 */
export interface BootRequest {
  readonly name: string;
  readonly flavorRef: string;
  /** As given, '' when absent; `imageRefGiven` says whether the key was there at all (Nova's bug 1433609). */
  readonly imageRef: string;
  readonly imageRefGiven: boolean;
  /** As given; Nova generates one when absent. */
  readonly adminPass?: string;
  readonly metadata: Record<string, string>;
  readonly networks?: RequestedNetworks;
  readonly autoDiskConfig?: boolean;
  readonly accessIPv4?: string;
  readonly accessIPv6?: string;
  readonly personality: ReadonlyArray<{ path?: string; contents?: string }>;
  readonly availabilityZone?: string;
  /** block_device_mapping_v2 as given. */
  readonly blockDevices: readonly BlockDeviceMapping[];
  /** Whether the legacy block_device_mapping was given (non-empty). */
  readonly legacyBlockDevices: boolean;
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
  /** The server group of `os:scheduler_hints.group`, which the servers join. */
  readonly group?: string;
  /** `os:scheduler_hints.same_host` / `different_host`: servers whose hosts the boot must share, or avoid. */
  readonly hostHints?: { readonly same_host?: string[]; readonly different_host?: string[] };
}

/** Most servers a same_host or different_host hint may name (the scheduler protocol's bound too). */
export const MAX_HINTED_SERVERS = 1000;

const invalidBdm = (details: string) => badRequest(`Block Device Mapping is Invalid: ${details}`);

/**
 * The image a boot's block device mappings ask for, checked as Nova's BlockDeviceDict.from_api and
 * _image_from_req_data do. An image mapped to the local root disk at boot index 0 alongside
 * `imageRef` (what openstacksdk sends with every image boot) is an ordinary image boot; volumes,
 * snapshots and blank disks need a volume service this cloud does not have yet.
 * Answers the image to boot and any other image the mappings name, which must exist too.
 */
export function imageOfBoot(request: BootRequest): { image: string; mapped?: string } {
  const mappings = request.blockDevices;
  if (mappings.length && request.legacyBlockDevices)
    throw badRequest('Using different block_device_mapping syntaxes is not allowed in the same request.');
  let mapped: string | undefined;
  for (const bdm of mappings) {
    if (bdm.source_type === 'blank' && bdm.uuid) throw invalidBdm('Invalid device UUID.');
    if (bdm.source_type !== 'blank' && !bdm.uuid) throw invalidBdm('Missing device UUID.');
    if (bdm.source_type === 'image' && bdm.destination_type === 'local') {
      const index = bdm.boot_index === undefined || bdm.boot_index === null ? -1 : Number(bdm.boot_index);
      if (!(request.imageRefGiven && index === 0)) throw invalidBdm('Mapping image to local is not supported.');
      mapped = bdm.uuid;
      continue;
    }
    throw badRequest('Booting from volume is not supported by this cloud yet.');
  }
  if (request.legacyBlockDevices) throw badRequest('Booting from volume is not supported by this cloud yet.');
  if (!request.imageRef) {
    // With an empty imageRef the mapping names the image (Nova's boot metadata comes from it).
    if (mapped) return { image: mapped };
    throw badRequest('Missing imageRef attribute');
  }
  return { image: request.imageRef, ...(mapped && mapped !== request.imageRef ? { mapped } : {}) };
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
        throw badRequest(
          `Specified Fixed IP '${network.fixed_ip}' cannot be used with port '${network.port}': the two cannot be specified together.`,
        );
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
