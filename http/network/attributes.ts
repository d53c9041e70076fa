import { badRequest, invalidAttribute } from './errors.js';
import { parseCidr, parseIp } from './ip.js';

/**
 * A resource's attributes as Neutron's attribute maps declare them: whether a create or an update may
 * set each, its default (none: required on create), and its check, which returns the stored value or
 * throws the API's 400 in Neutron's words.
 */
export interface AttributeSpec {
  readonly post: boolean;
  readonly put: boolean;
  /** A function is called per request; absent (and `post`), the attribute is required. */
  readonly default?: unknown;
  readonly check?: (value: unknown, name: string) => unknown;
}

export type AttributeMap = Readonly<Record<string, AttributeSpec>>;

/** The resource's object from a body (`{"network": {...}}`), checked as Neutron's `prepare_request_body` does. */
export function resourceBody(body: unknown, resource: string, map: AttributeMap, create: boolean): Record<string, unknown> {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && !Object.keys(body).length)) {
    throw badRequest('Resource body required');
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Body contains invalid data');
  const item = (body as Record<string, unknown>)[resource];
  if (item === undefined || item === null) throw badRequest(`Unable to find '${resource}' in request body`);
  if (typeof item !== 'object' || Array.isArray(item)) throw badRequest(`Object '${resource}' contains invalid data`);
  const given = { ...(item as Record<string, unknown>) };
  // tenant_id and project_id are one attribute under two names.
  if ('tenant_id' in given && 'project_id' in given && given.tenant_id !== given.project_id) {
    throw badRequest("'project_id' and 'tenant_id' do not match");
  }
  if ('tenant_id' in given) {
    given.project_id = given.tenant_id;
    delete given.tenant_id;
  }
  const unknown = Object.keys(given).filter((k) => !(k in map));
  if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(map)) {
    if (!(name in given)) {
      if (!create || !spec.post) continue;
      if (!('default' in spec)) throw badRequest(`Failed to parse request. Required attribute '${name}' not specified`);
      out[name] = typeof spec.default === 'function' ? (spec.default as () => unknown)() : spec.default;
      continue;
    }
    if (create && !spec.post) throw badRequest(`Attribute '${name}' not allowed in POST`);
    if (!create && !spec.put) throw badRequest(`Cannot update read-only attribute ${name}`);
    out[name] = spec.check ? spec.check(given[name], name) : given[name];
  }
  return out;
}

// The checks, each answering as neutron-lib's validator of the same job.

export const text =
  (max: number) =>
  (value: unknown, name: string): string => {
    if (typeof value !== 'string') throw invalidAttribute(name, `'${String(value)}' is not a valid string`);
    if (value.length > max) throw invalidAttribute(name, `'${value}' exceeds maximum length of ${max}`);
    return value;
  };

export const nullableText = (max: number) => (value: unknown, name: string) => (value === null ? null : text(max)(value, name));

/** neutron-lib's convert_to_boolean. */
export function toBoolean(value: unknown, name?: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
  }
  const reason = `'${typeof value === 'string' ? value : JSON.stringify(value)}' cannot be converted to boolean`;
  throw name ? invalidAttribute(name, reason) : badRequest(`Invalid input for operation: ${reason}.`);
}

export const boolean = (value: unknown, name: string) => toBoolean(value, name);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export const uuid = (value: unknown, name: string): string => {
  if (!isUuid(value)) throw invalidAttribute(name, `'${String(value)}' is not a valid UUID`);
  return value;
};

export const projectId = text(255);

export const integer =
  (min: number, max: number) =>
  (value: unknown, name: string): number => {
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidAttribute(name, `'${String(value)}' is not an integer`);
    if (n < min) throw invalidAttribute(name, `'${n}' is too small - must be at least '${min}'`);
    if (n > max) throw invalidAttribute(name, `'${n}' is too large - must be no larger than '${max}'`);
    return n;
  };

export const ipAddress = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || !parseIp(value)) throw invalidAttribute(name, `'${String(value)}' is not a valid IP address`);
  return value;
};

export const subnetCidr = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || !parseCidr(value)) throw invalidAttribute(name, `'${String(value)}' is not a valid IP subnet`);
  return value;
};

export const list =
  (max: number, item: (value: unknown, name: string) => unknown) =>
  (value: unknown, name: string): unknown[] => {
    if (!Array.isArray(value)) throw invalidAttribute(name, `'${JSON.stringify(value)}' is not a list`);
    if (value.length > max) throw invalidAttribute(name, `the number of entries exceeds the maximum of ${max}`);
    return value.map((v) => item(v, name));
  };

export const object = (value: unknown, name: string): Record<string, unknown> => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalidAttribute(name, `'${JSON.stringify(value)}' is not a dictionary`);
  return value as Record<string, unknown>;
};

/** An object whose keys must be among `allowed` and include `required`. */
export const dict =
  (allowed: readonly string[], required: readonly string[]) =>
  (value: unknown, name: string): Record<string, unknown> => {
    const o = object(value, name);
    const extra = Object.keys(o).filter((k) => !allowed.includes(k));
    if (extra.length) throw invalidAttribute(name, `Unrecognized attribute(s) '${extra.join(', ')}'`);
    const missing = required.filter((k) => !(k in o));
    if (missing.length)
      throw invalidAttribute(
        name,
        `Validation of dictionary's keys failed. Expected keys: ${JSON.stringify(required)} Provided keys: ${JSON.stringify(Object.keys(o))}`,
      );
    return o;
  };

/** A list as Python prints it in Neutron's messages: `['a', 'b', None]`. */
const pythonList = (values: readonly unknown[]) =>
  `[${values.map((v) => (v === null ? 'None' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ')}]`;

export const oneOf =
  (values: readonly unknown[]) =>
  (value: unknown, name: string): unknown => {
    if (!values.includes(value)) throw invalidAttribute(name, `'${String(value)}' is not in ${pythonList(values)}`);
    return value;
  };

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
export const macAddress = (value: unknown, name: string): string => {
  const mac = typeof value === 'string' ? value.replace(/-/g, ':') : '';
  // Neither all-zero nor broadcast nor multicast can be a port's address.
  if (!MAC.test(mac) || mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw invalidAttribute(name, `'${String(value)}' is not a valid MAC address`);
  }
  return mac.toLowerCase();
};
