import { badRequest } from './errors.js';
import type { Microversion } from './microversion.js';

/** A validated `POST /servers` body. */
export interface BootRequest {
  readonly name: string;
  readonly flavorRef: string;
  readonly imageRef: string;
  readonly availabilityZone: string | null;
  readonly keyName: string | null;
  readonly description: string | null;
  readonly minCount: number;
  readonly maxCount: number;
  readonly returnReservationId: boolean;
}

const invalid = (field: string, value: unknown, why: string) =>
  badRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value ?? null)}. ${why}`);

const ALWAYS = ['name', 'imageRef', 'flavorRef', 'networks', 'availability_zone', 'key_name', 'metadata', 'min_count', 'max_count',
  'return_reservation_id', 'user_data', 'security_groups', 'config_drive', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig', 'adminPass',
  'block_device_mapping', 'block_device_mapping_v2', 'os:scheduler_hints'];
// [field, first version, first version without it]
const SINCE: Array<[string, string, string?]> = [['description', '2.19'], ['tags', '2.52'], ['hostname', '2.90'], ['personality', '2.1', '2.57'], ['trusted_image_certificates', '2.63'], ['host', '2.74'], ['hypervisor_hostname', '2.74']];

/** A reference that may be a bare id or a URL ending in one, as Nova accepts for flavorRef and imageRef. */
const idOf = (ref: string) => ref.replace(/\/+$/, '').split('/').pop() ?? '';

function count(field: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid(field, value, `${JSON.stringify(value)} is not a valid count`);
  return n;
}

/** Checks a server create body as Nova's JSON schema for the microversion does, in Nova's words. */
export function parseBootRequest(body: Record<string, unknown>, v: Microversion): BootRequest {
  const allowed = new Set([...ALWAYS, ...SINCE.filter(([, from, before]) => v.atLeast(from) && !(before && v.atLeast(before))).map(([k]) => k)]);
  const extra = Object.keys(body).filter((k) => !allowed.has(k));
  if (extra.length) throw badRequest(`Invalid input for field/attribute server. Value: ${JSON.stringify(body)}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  const { name, flavorRef, imageRef, networks } = body;
  if (name === undefined) throw invalid('server', body, "'name' is a required property");
  if (typeof name !== 'string' || !name.trim() || name.length > 255 || name !== name.trim()) {
    throw invalid('name', name, 'A name must be 1-255 characters with no leading or trailing whitespace');
  }
  if (flavorRef === undefined) throw invalid('server', body, "'flavorRef' is a required property");
  if ((typeof flavorRef !== 'string' && typeof flavorRef !== 'number') || String(flavorRef).trim() === '') throw invalid('flavorRef', flavorRef, 'is not a valid flavor reference');
  if (body.block_device_mapping_v2 !== undefined || body.block_device_mapping !== undefined) {
    throw badRequest('Booting from volume is not supported by this cloud yet.');
  }
  if (typeof imageRef !== 'string' || !imageRef.trim()) throw invalid('imageRef', imageRef, 'An image is required to boot a server.');
  if (v.atLeast('2.37')) {
    if (networks === undefined) throw invalid('server', body, "'networks' is a required property");
    if (networks !== 'auto' && networks !== 'none' && !Array.isArray(networks)) throw invalid('networks', networks, "is not valid under any of the given schemas");
  } else if (networks !== undefined && !Array.isArray(networks)) {
    throw invalid('networks', networks, `${JSON.stringify(networks)} is not of type 'array'`);
  }
  // No network service yet: a requested network cannot exist.
  if (Array.isArray(networks) && networks.length) {
    const first = networks[0] as Record<string, unknown>;
    throw badRequest(first?.port ? `Port ${String(first.port)} could not be found.` : `Network ${String(first?.uuid ?? '')} could not be found.`);
  }
  const optionalText = (field: string, max = 255): string | null => {
    const value = body[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value.length > max) throw invalid(field, value, `is not a string of at most ${max} characters`);
    return value;
  };
  const minCount = body.min_count === undefined ? 1 : count('min_count', body.min_count);
  const maxCount = body.max_count === undefined ? minCount : count('max_count', body.max_count);
  if (maxCount < minCount) throw badRequest('min_count must be <= max_count');
  return {
    name, flavorRef: idOf(String(flavorRef)), imageRef: idOf(imageRef),
    availabilityZone: optionalText('availability_zone'), keyName: optionalText('key_name'), description: optionalText('description'),
    minCount, maxCount, returnReservationId: body.return_reservation_id === true || body.return_reservation_id === 'True',
  };
}
