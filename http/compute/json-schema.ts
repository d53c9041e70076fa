import { charLength } from '../../runtime/chars.js';
import { badRequest } from './errors.js';

/**
 * The JSON-schema subset Nova's request schemas use (draft 4), checked the way Nova's validator
 * does — Python's jsonschema with numbers given as strings compared as numbers — so a refusal
 * carries Nova's own words: the first error found, in schema order, phrased as jsonschema
 * phrases it, about the innermost field.
 */
export interface Schema {
  type?: JsonType | JsonType[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  items?: Schema;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  enum?: unknown[];
  format?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  minItems?: number;
  uniqueItems?: boolean;
}

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/** A format check: true when the value conforms; else false (jsonschema's words) or the reason to answer instead. */
export type FormatCheck = (value: unknown) => boolean | { reason: string };

const formats = new Map<string, FormatCheck>();
export const defineFormat = (name: string, check: FormatCheck) => {
  formats.set(name, check);
};

interface Failure {
  path: Array<string | number>;
  instance: unknown;
  message: string;
  override?: string;
}

/** Python's repr() of a JSON value, as jsonschema's messages show values. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`)
    .join(', ')}}`;
}

/** Python's str(): strings bare, everything else as repr. */
export const pyStr = (value: unknown) => (typeof value === 'string' ? value : pyRepr(value));

function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
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

const isType = (value: unknown, type: JsonType): boolean => {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
  }
};

// Nova compares numbers given as strings ('10') against minimum and maximum as numbers.
const asNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const n = Number(value.trim());
  // Digits past a double's range are still a number to Python (an int): beyond any maximum, not unchecked.
  return Number.isNaN(n) ? undefined : n;
};

// How jsonschema prints the number it compared: Python's int of digits too long for a double, in full.
const shownNumber = (value: unknown, n: number) => (typeof value === 'string' && !Number.isFinite(n) ? value.trim() : pyRepr(n));

const compiled = new Map<string, RegExp>();
const regex = (pattern: string, whole = false) => {
  const key = `${whole ? '^' : ''}${pattern}`;
  let r = compiled.get(key);
  if (!r) compiled.set(key, (r = new RegExp(whole ? `^(?:${pattern})$` : pattern, 'u')));
  return r;
};

const pyKeys = (keys: string[]) => [...keys].sort().map(pyRepr).join(', ');

function* check(schema: Schema, value: unknown, path: Array<string | number>): Generator<Failure> {
  const fail = (message: string, override?: string): Failure => ({ path, instance: value, message, override });
  for (const keyword of Object.keys(schema) as Array<keyof Schema>) {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type!];
        if (!types.some((t) => isType(value, t))) yield fail(`${pyRepr(value)} is not of type ${types.map(pyRepr).join(', ')}`);
        break;
      }
      case 'properties':
        if (isType(value, 'object')) {
          for (const [name, sub] of Object.entries(schema.properties!)) {
            if (Object.hasOwn(value as object, name)) yield* check(sub, (value as Record<string, unknown>)[name], [...path, name]);
          }
        }
        break;
      case 'patternProperties':
        if (isType(value, 'object')) {
          for (const [pattern, sub] of Object.entries(schema.patternProperties!)) {
            for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
              if (regex(pattern).test(name)) yield* check(sub, v, [...path, name]);
            }
          }
        }
        break;
      case 'additionalProperties':
        if (schema.additionalProperties === false && isType(value, 'object')) {
          const known = new Set(Object.keys(schema.properties ?? {}));
          const patterns = Object.keys(schema.patternProperties ?? {});
          const extras = Object.keys(value as object).filter((k) => !known.has(k) && !patterns.some((p) => regex(p).test(k)));
          if (extras.length && patterns.length) {
            yield fail(`${pyKeys(extras)} ${extras.length === 1 ? 'does' : 'do'} not match any of the regexes: ${pyKeys(patterns)}`);
          } else if (extras.length) {
            yield fail(`Additional properties are not allowed (${pyKeys(extras)} ${extras.length === 1 ? 'was' : 'were'} unexpected)`);
          }
        }
        break;
      case 'required':
        if (isType(value, 'object')) {
          for (const name of schema.required!) if (!Object.hasOwn(value as object, name)) yield fail(`${pyRepr(name)} is a required property`);
        }
        break;
      case 'minProperties':
        if (isType(value, 'object') && Object.keys(value as object).length < schema.minProperties!) {
          yield fail(`${pyRepr(value)} does not have enough properties`);
        }
        break;
      case 'maxProperties':
        if (isType(value, 'object') && Object.keys(value as object).length > schema.maxProperties!) {
          yield fail(`${pyRepr(value)} has too many properties`);
        }
        break;
      case 'items':
        if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* check(schema.items!, item, [...path, i]);
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > schema.maxItems!) yield fail(`${pyRepr(value)} is too long`);
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < schema.minItems!) yield fail(`${pyRepr(value)} is too short`);
        break;
      case 'uniqueItems':
        if (schema.uniqueItems && Array.isArray(value) && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
          yield fail(`${pyRepr(value)} has non-unique elements`);
        }
        break;
      case 'minLength':
        if (typeof value === 'string' && charLength(value) < schema.minLength!) yield fail(`${pyRepr(value)} is too short`);
        break;
      case 'maxLength':
        if (typeof value === 'string' && charLength(value) > schema.maxLength!) yield fail(`${pyRepr(value)} is too long`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !regex(schema.pattern!).test(value)) yield fail(`${pyRepr(value)} does not match ${pyRepr(schema.pattern)}`);
        break;
      case 'minimum': {
        const n = asNumber(value);
        if (n === undefined || typeof value === 'boolean') break;
        if (schema.exclusiveMinimum ? n <= schema.minimum! : n < schema.minimum!) {
          yield {
            path,
            instance: value,
            message: `${shownNumber(value, n)} is ${schema.exclusiveMinimum ? 'less than or equal to' : 'less than'} the minimum of ${pyRepr(schema.minimum)}`,
          };
        }
        break;
      }
      case 'maximum': {
        const n = asNumber(value);
        if (n !== undefined && typeof value !== 'boolean' && n > schema.maximum!) {
          yield { path, instance: value, message: `${shownNumber(value, n)} is greater than the maximum of ${pyRepr(schema.maximum)}` };
        }
        break;
      }
      case 'enum':
        if (!schema.enum!.some((e) => e === value)) yield fail(`${pyRepr(value)} is not one of ${pyRepr(schema.enum)}`);
        break;
      case 'format': {
        const checker = formats.get(schema.format!);
        const result = checker ? checker(value) : true;
        if (result !== true) yield fail(`${pyRepr(value)} is not a ${pyRepr(schema.format)}`, result === false ? undefined : result.reason);
        break;
      }
      case 'allOf':
        for (const sub of schema.allOf!) yield* check(sub, value, path);
        break;
      case 'oneOf': {
        const valid = schema.oneOf!.filter((sub) => check(sub, value, path).next().done).length;
        if (valid === 0) yield fail(`${pyRepr(value)} is not valid under any of the given schemas`);
        else if (valid > 1) yield fail(`${pyRepr(value)} is valid under each of ${schema.oneOf!.map(pyRepr).join(', ')}`);
        break;
      }
    }
  }
}

/** The words of the first failure of a value against a schema (as `jsonschema.validate` raises it), or undefined. */
export function firstMessage(schema: Schema, value: unknown): string | undefined {
  const first = check(schema, value, []).next();
  return first.done ? undefined : first.value.message;
}

/** Checks a request body; the first failure is Nova's 400. */
export function checkBody(schema: Schema, body: unknown): void {
  const first = check(schema, body, []).next();
  if (first.done) return;
  const f = first.value;
  if (f.override) throw badRequest(f.override);
  if (!f.path.length) throw badRequest(f.message);
  throw badRequest(`Invalid input for field/attribute ${f.path[f.path.length - 1]}. Value: ${pyStr(f.instance)}. ${f.message}`);
}

/** The query string as Nova's query schemas see it: every parameter a list of its values. */
export function queryLists(query: Record<string, string | string[] | undefined>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = Array.isArray(v) ? v : [v];
  return out;
}

/** Checks query parameters against a query schema (each property a list); the first failure is Nova's 400. */
export function checkQuery(schema: Schema, query: Record<string, string | string[] | undefined>): void {
  const first = check(schema, queryLists(query), []).next();
  if (first.done) return;
  const f = first.value;
  if (f.override) throw badRequest(f.override);
  if (!f.path.length) throw badRequest(f.message);
  throw badRequest(`Invalid input for query parameters ${f.path[0]}. Value: ${pyStr(f.instance)}. ${f.message}`);
}

/** A query parameter that may be given once or more: the schema of one value, as a list. */
export const multiParams = (items: Schema): Schema => ({ type: 'array', items });

/** A query parameter that may be given at most once (Nova's single_param). */
export const singleParam = (items: Schema): Schema => ({ type: 'array', items, maxItems: 1 });
