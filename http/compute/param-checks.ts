import type { Context } from 'koa';
import { readJson } from '../body.js';
import { badRequest } from './errors.js';

// Nova validates query strings and bodies with JSON Schema and words its 400s from the first
// error jsonschema reports, with values in Python's notation. These checks follow the few schemas
// the admin routes use (nova/api/validation/parameter_types.py), keyword by keyword, in Nova's order.

/** Python's repr() of a JSON value: what jsonschema puts in its messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = value.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Python's str(): strings as they are, everything else as repr(). */
const pyStr = (value: unknown) => (typeof value === 'string' ? value : pyRepr(value));

/** One schema's verdict on a value: jsonschema's message, or undefined when it passes. */
export type Rule = (value: unknown) => string | undefined;

const typeError = (value: unknown, ...types: string[]) => `${pyRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`;

/** `{'type': 'string', 'minLength', 'maxLength', 'pattern'}` in that order, as parameter_types.fqdn has them. */
export const text = (o: { minLength?: number; maxLength?: number; pattern?: string } = {}): Rule => (value) => {
  if (typeof value !== 'string') return typeError(value, 'string');
  const length = [...value].length;
  if (o.minLength !== undefined && length < o.minLength) return `${pyRepr(value)} is too short`;
  if (o.maxLength !== undefined && length > o.maxLength) return `${pyRepr(value)} is too long`;
  if (o.pattern !== undefined && !new RegExp(o.pattern, 'u').test(value)) return `${pyRepr(value)} does not match ${pyRepr(o.pattern)}`;
  return undefined;
};

/** parameter_types.fqdn: a host name, underscores allowed. */
export const fqdn = text({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' });

const BOOLEANS: unknown[] = [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes',
  false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'];

/** parameter_types.boolean: JSON booleans and the strings oslo's bool_from_string knows. */
export const booleanLike: Rule = (value) => {
  if (typeof value !== 'boolean' && typeof value !== 'string') return typeError(value, 'boolean', 'string');
  return BOOLEANS.includes(value) ? undefined : `${pyRepr(value)} is not one of ${pyRepr(BOOLEANS)}`;
};

/** parameter_types.non_negative_integer, as a query string carries it. */
export const nonNegativeInteger: Rule = (value) => {
  if (typeof value !== 'string' && !Number.isInteger(value)) return typeError(value, 'integer', 'string');
  if (typeof value === 'string') {
    if (!/^[0-9]*$/.test(value)) return `${pyRepr(value)} does not match '^[0-9]*$'`;
    if (value.length < 1) return `${pyRepr(value)} is too short`;
  } else if ((value as number) < 0) {
    return `${value} is less than the minimum of 0`;
  }
  return undefined;
};

export const oneOf = (values: readonly string[]): Rule => (value) => {
  if (typeof value !== 'string') return typeError(value, 'string');
  return values.includes(value) ? undefined : `${pyRepr(value)} is not one of ${pyRepr(values)}`;
};

/** oslo's bool_from_string for a value that passed `booleanLike`. */
export const truthy = (value: unknown) => value === true || (typeof value === 'string' && ['1', 'true', 'on', 'yes'].includes(value.toLowerCase()));

const additional = (extras: string[]) =>
  badRequest(`Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`);

export interface QueryParam { readonly rule: Rule; /** parameter_types.single_param: at most one value. */ readonly single?: boolean }

/** A query string against Nova's query schema (every parameter a list of values). */
export function checkQuery(query: Record<string, string | string[] | undefined>, params: Record<string, QueryParam>, allowOthers: boolean): void {
  for (const [name, param] of Object.entries(params)) {
    const raw = query[name];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      const message = param.rule(value);
      if (message) throw badRequest(`Invalid input for query parameters ${name}. Value: ${pyStr(value)}. ${message}`);
    }
    if (param.single && values.length > 1) {
      throw badRequest(`Invalid input for query parameters ${name}. Value: ${pyStr(values)}. ${pyRepr(values)} is too long`);
    }
  }
  if (!allowOthers) {
    const extras = Object.keys(query).filter((k) => !(k in params)).sort();
    if (extras.length) throw additional(extras);
  }
}

/** The last value of a query parameter, as webob's `req.GET[name]` answers. */
export const lastOf = (raw: string | string[] | undefined) => (Array.isArray(raw) ? raw[raw.length - 1] : raw);

export interface BodySchema {
  readonly properties: Record<string, Rule>;
  readonly required?: readonly string[];
}

/** A request body against an object schema with `additionalProperties: False`. */
export function checkBody(body: unknown, schema: BodySchema): Record<string, unknown> {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) throw badRequest(typeError(body ?? null, 'object'));
  const object = body as Record<string, unknown>;
  for (const [name, rule] of Object.entries(schema.properties)) {
    if (!(name in object)) continue;
    const message = rule(object[name]);
    if (message) throw badRequest(`Invalid input for field/attribute ${name}. Value: ${pyStr(object[name])}. ${message}`);
  }
  const missing = (schema.required ?? []).find((name) => !(name in object));
  if (missing) throw badRequest(`'${missing}' is a required property`);
  const extras = Object.keys(object).filter((k) => !(k in schema.properties)).sort();
  if (extras.length) throw additional(extras);
  return object;
}

/** The request body as JSON; an empty one is Python's None, as Nova hands it to its schema. */
export async function jsonBody(ctx: Context): Promise<unknown> {
  try {
    return (await readJson(ctx)) ?? null;
  } catch (error) {
    const status = (error as { status?: number }).status ?? 400;
    throw Object.assign(badRequest(status === 400 ? 'Malformed request body' : (error as Error).message), { status });
  }
}

/** oslo's is_uuid_like: a UUID, with or without hyphens, braces or a urn:uuid: prefix. */
export const isUuidLike = (value: string) =>
  /^[0-9a-f]{32}$/.test(value.toLowerCase().replace(/^urn:/, '').replace(/^uuid:/, '').replace(/[{}-]/g, ''));

/** Python's int() of a string, or undefined where oslo's validate_integer would refuse it. */
export function pyInt(value: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(value);
  return m ? Number(`${m[1]}${m[2].replace(/_/g, '')}`) : undefined;
}
