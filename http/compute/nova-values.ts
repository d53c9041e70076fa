import { isUuidLike } from '../../services/compute/boot-request.js';
import { badRequest } from './errors.js';
import { MAX_FILTER_REGEX_LENGTH, re2Compiles } from './filter-regex.js';
import { defineFormat } from './json-schema.js';

// How Nova, and the Python under it, reads values: base64 as Python's b64decode, addresses as
// Python's ipaddress, times as oslo's parse_isotime, booleans as oslo's bool_from_string, UUIDs as
// oslo's is_uuid_like, integers as Python's int(), query parameters as webob; and the request-schema
// formats built on them (uuid, base64, ipv4, ipv6, regex, date-time).

/** oslo's is_uuid_like: a UUID, with or without hyphens, braces or a urn:uuid: prefix. */
export { isUuidLike };

/** Python's int() of a string, or undefined where oslo's validate_integer would refuse it. */
export function pyInt(value: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(value);
  return m ? Number(`${m[1]}${m[2].replace(/_/g, '')}`) : undefined;
}

/** The last value of a query parameter, as webob's `req.GET[name]` answers. */
export const lastOf = (raw: string | string[] | undefined) => (Array.isArray(raw) ? raw[raw.length - 1] : raw);

const B64 = /[A-Za-z0-9+/]/;
/** Python's base64.b64decode without validation: other characters are skipped, but the padding must add up. */
export function pythonBase64(text: string): boolean {
  if (/[\x80-\uffff]/.test(text)) return false;
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
  // Python's datetime holds years 1–9999 only (so Nova refuses year 0), and PostgreSQL has no year 0: a time that
  // falls outside them, in UTC too, is not a time.
  if (Number.isNaN(date.getTime()) || Number(y) < 1 || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) return undefined;
  return date;
}

/**
 * Python's re.compile accepts it, and it is not empty, as Nova's regex format asks. Near enough:
 * JavaScript's syntax or RE2's (which has Python's `(?P<name>…)` and inline flags). Only compiled,
 * never run: a pattern is matched on RE2 alone (filter-regex.ts).
 */
export function isRegex(text: unknown): boolean {
  if (typeof text !== 'string' || !text) return false;
  try {
    new RegExp(text);
    return true;
  } catch {
    /* perhaps RE2's syntax */
  }
  // RE2 compiles eagerly: a pattern over the filters' cap is refused there anyway, so it is not compiled here.
  return text.length <= MAX_FILTER_REGEX_LENGTH && re2Compiles(text);
}

// jsonschema's own ipv4 and ipv6 checkers pass anything but a string; Nova's uuid, base64, regex and date-time ones refuse it.
const onStrings = (test: (v: string) => boolean, others: boolean) => (v: unknown) => (typeof v === 'string' ? test(v) : others);
defineFormat('uuid', onStrings(isUuidLike, false));
defineFormat('base64', onStrings(pythonBase64, false));
defineFormat('regex', onStrings(isRegex, false));
defineFormat(
  'date-time',
  onStrings((v) => parseIsoTime(v) !== undefined, false),
);
defineFormat('ipv4', onStrings(ipv4, true));
defineFormat('ipv6', onStrings(ipv6, true));

/** oslo's bool_from_string in strict mode, with its message for anything else. */
export function strictBool(text: string): boolean {
  const lowered = text.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lowered)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lowered)) return false;
  throw badRequest(
    `Invalid input received: Unrecognized value '${text}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
  );
}

/** oslo's bool_from_string over a value the request schema's `boolean` type accepted. */
export const truthy = (v: unknown) => v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes'].includes(v.toLowerCase()));

/** oslo's bool_from_string, lenient: anything unrecognised is the default. */
export const lenientBool = (text: string, fallback = false) => {
  const lowered = text.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(lowered)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(lowered)) return false;
  return fallback;
};
