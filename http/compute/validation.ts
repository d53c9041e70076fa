import { badRequest, type NovaFault } from './errors.js';

/**
 * Request checks in Nova's words. Nova validates bodies and query strings with JSON Schema
 * (Draft 4, python-jsonschema) and answers the first error found, walking each schema's
 * keywords in the order they are written; the schemas here are written in the same order so
 * the same error comes first. Only the keywords Nova's compute schemas use are supported.
 */
export interface Schema {
  readonly type?: JsonType | readonly JsonType[];
  readonly enum?: readonly unknown[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: Format;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly patternProperties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly oneOf?: readonly Schema[];
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'array' | 'object';
export type Format = 'name' | 'uuid' | 'base64' | 'ipv4' | 'ipv6' | 'regex' | 'date-time';

/** Python's repr of a JSON value, as Nova's messages quote values. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as object).map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python's str(): strings bare, everything else as repr. */
export const pyStr = (value: unknown) => (typeof value === 'string' ? value : pyRepr(value));

/** A body field's error as Nova words it. */
export const fieldError = (path: string | number, value: unknown, message: string): NovaFault =>
  badRequest(`Invalid input for field/attribute ${path}. Value: ${pyStr(value)}. ${message}`);

/** A query parameter's error as Nova words it. */
export const queryError = (name: string, value: unknown, message: string): NovaFault =>
  badRequest(`Invalid input for query parameters ${name}. Value: ${pyStr(value)}. ${message}`);

// parameter_types: every printable character (no control, format, private-use, unassigned or
// line/paragraph separators), within the Basic Multilingual Plane as Nova builds its ranges.
const printable = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*$/u;
const edge = /^[\p{C}\p{Z}\u{10000}-\u{10FFFF}]|[\p{C}\p{Z}\u{10000}-\u{10FFFF}]$/u;
// The same as a pattern string, for schemas (Nova's valid_description_regex).
export const PRINTABLE_PATTERN = '^[^\\p{C}\\p{Zl}\\p{Zp}\\u{10000}-\\u{10FFFF}]*$';

/** Nova's `name` format: printable, no leading or trailing whitespace. */
export const validName = (text: string) => printable.test(text) && !edge.test(text);
export const INVALID_NAME = "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.";

/** uuidutils.is_uuid_like: 32 hex digits, optionally hyphenated, braced or `urn:uuid:`-prefixed. */
export const uuidLike = (text: string) =>
  /^[0-9a-f]{32}$/.test(text.replace('urn:', '').replace('uuid:', '').replace(/^\{+|\}+$/g, '').replace(/-/g, '').toLowerCase());

const B64 = /[A-Za-z0-9+/]/;
/** Python's base64.b64decode without validation: other characters are skipped, but the padding must add up. */
export function pythonBase64(text: string): boolean {
  if (/[^\x00-\x7f]/.test(text)) return false;
  let quad = 0;
  let pads = 0;
  for (const ch of text) {
    if (ch === '=') {
      if (quad >= 2 && quad + ++pads >= 4) return true;
      continue;
    }
    if (!B64.test(ch)) continue;
    pads = 0;
    quad = (quad + 1) % 4;
  }
  return quad === 0;
}

export const ipv4 = (text: string) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text);

/** Python's ipaddress.IPv6Address (no zone index). */
export function ipv6(text: string): boolean {
  let address = text;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    if (!ipv4(v4[2])) return false;
    address = `${v4[1]}0:0`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = head.length + tail.length;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** ISO 8601 as oslo's parse_isotime reads it; a time without a zone is UTC. */
export function parseIsoTime(text: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone] = m;
  const offset = !zone || zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '') || '00'}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isRegex(text: unknown): boolean {
  if (typeof text !== 'string' || !text) return false;
  try { new RegExp(text); return true; } catch { return false; }
}

const FORMATS: Record<Format, (value: string) => boolean> = {
  name: validName, uuid: uuidLike, base64: pythonBase64, ipv4, ipv6, regex: isRegex,
  'date-time': (v) => parseIsoTime(v) !== undefined,
};

const typeOf = (value: unknown): JsonType[] => {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  switch (typeof value) {
    case 'string': return ['string'];
    case 'boolean': return ['boolean'];
    case 'number': return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
    default: return ['object'];
  }
};
// Schema patterns, compiled once.
const compiled = new Map<string, RegExp>();
const patternOf = (source: string) => {
  let re = compiled.get(source);
  if (!re) compiled.set(source, re = new RegExp(source, 'u'));
  return re;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const length = (text: string) => [...text].length;
// Nova compares string numbers ('10') against minimum and maximum too.
const numeric = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** The first error, as python-jsonschema would find it: its message, the path to it and the value there. */
export interface SchemaError { readonly message: string; readonly path: ReadonlyArray<string | number>; readonly value: unknown }

export function firstError(schema: Schema, value: unknown, path: Array<string | number> = []): SchemaError | undefined {
  const error = (message: string, at: unknown = value): SchemaError => ({ message, path, value: at });
  for (const keyword of Object.keys(schema) as Array<keyof Schema>) {
    switch (keyword) {
      case 'type': {
        const types = ([] as JsonType[]).concat(schema.type!);
        if (!typeOf(value).some((t) => types.includes(t))) return error(`${pyRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`);
        break;
      }
      case 'enum':
        if (!schema.enum!.some((e) => e === value)) return error(`${pyRepr(value)} is not one of ${pyRepr(schema.enum)}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && length(value) < schema.minLength!) return error(`${pyRepr(value)} is too short`);
        break;
      case 'maxLength':
        if (typeof value === 'string' && length(value) > schema.maxLength!) return error(`${pyRepr(value)} is too long`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !patternOf(schema.pattern!).test(value)) return error(`${pyRepr(value)} does not match ${pyRepr(schema.pattern)}`);
        break;
      case 'format':
        if (typeof value === 'string' && !FORMATS[schema.format!](value)) {
          if (schema.format === 'name') return { message: INVALID_NAME, path: [], value };
          return error(`${pyRepr(value)} is not a ${pyRepr(schema.format)}`);
        }
        break;
      case 'minimum': {
        const n = numeric(value);
        if (n !== undefined && n < schema.minimum!) return error(`${pyRepr(n)} is less than the minimum of ${schema.minimum}`, n);
        break;
      }
      case 'maximum': {
        const n = numeric(value);
        if (n !== undefined && n > schema.maximum!) return error(`${pyRepr(n)} is greater than the maximum of ${schema.maximum}`, n);
        break;
      }
      case 'properties':
        if (isObject(value)) {
          for (const [name, sub] of Object.entries(schema.properties!)) {
            if (!(name in value)) continue;
            const found = firstError(sub, value[name], [...path, name]);
            if (found) return found;
          }
        }
        break;
      case 'patternProperties':
        if (isObject(value)) {
          for (const [pattern, sub] of Object.entries(schema.patternProperties!)) {
            for (const [name, item] of Object.entries(value)) {
              if (!patternOf(pattern).test(name)) continue;
              const found = firstError(sub, item, [...path, name]);
              if (found) return found;
            }
          }
        }
        break;
      case 'additionalProperties':
        if (isObject(value) && schema.additionalProperties === false) {
          const patterns = Object.keys(schema.patternProperties ?? {});
          const extra = Object.keys(value).filter((k) => !(schema.properties && k in schema.properties)
            && !patterns.some((p) => patternOf(p).test(k)));
          if (extra.length && patterns.length) {
            return error(`${[...extra].sort().map(pyRepr).join(', ')} ${extra.length === 1 ? 'does' : 'do'} not match any of the regexes: ${[...patterns].sort().map(pyRepr).join(', ')}`);
          }
          if (extra.length) return error(`Additional properties are not allowed (${extra.map(pyRepr).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`);
        }
        break;
      case 'required':
        if (isObject(value)) {
          const missing = schema.required!.find((k) => !(k in value));
          if (missing !== undefined) return error(`${pyRepr(missing)} is a required property`);
        }
        break;
      case 'items':
        if (Array.isArray(value)) {
          for (const [index, item] of value.entries()) {
            const found = firstError(schema.items!, item, [...path, index]);
            if (found) return found;
          }
        }
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < schema.minItems!) return error(`${pyRepr(value)} is too short`);
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > schema.maxItems!) return error(`${pyRepr(value)} is too long`);
        break;
      case 'uniqueItems':
        if (Array.isArray(value) && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return error(`${pyRepr(value)} has non-unique elements`);
        break;
      case 'minProperties':
        if (isObject(value) && Object.keys(value).length < schema.minProperties!) return error(`${pyRepr(value)} does not have enough properties`);
        break;
      case 'maxProperties':
        if (isObject(value) && Object.keys(value).length > schema.maxProperties!) return error(`${pyRepr(value)} has too many properties`);
        break;
      case 'oneOf': {
        const valid = schema.oneOf!.filter((sub) => !firstError(sub, value, path)).length;
        if (valid === 0) return error(`${pyRepr(value)} is not valid under any of the given schemas`);
        if (valid > 1) return error(`${pyRepr(value)} is valid under each of ${schema.oneOf!.map(pyRepr).join(', ')}`);
        break;
      }
    }
  }
  return undefined;
}

/** Checks a request body: Nova's 400 naming the innermost field, or nothing. */
export function checkBody(schema: Schema, body: unknown): void {
  const found = firstError(schema, body);
  if (!found) return;
  if (found.path.length === 0) throw badRequest(found.message);
  throw fieldError(found.path[found.path.length - 1], found.value, found.message);
}

/** Checks a query string given as lists of values per name: Nova's 400 naming the parameter, or nothing. */
export function checkQuery(schema: Schema, query: Record<string, string[]>): void {
  const found = firstError(schema, query);
  if (!found) return;
  if (found.path.length === 0) throw badRequest(found.message);
  throw queryError(String(found.path[0]), found.value, found.message);
}

/** oslo's bool_from_string in strict mode, with its message for anything else. */
export function strictBool(text: string): boolean {
  const lowered = text.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lowered)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lowered)) return false;
  throw badRequest(`Invalid input received: Unrecognized value '${text}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
}

/** oslo's bool_from_string, lenient: anything unrecognised is the default. */
export const lenientBool = (text: string, fallback = false) => {
  const lowered = text.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lowered)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lowered)) return false;
  return fallback;
};
