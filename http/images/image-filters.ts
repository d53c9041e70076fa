import { Op, literal, type Sequelize, type WhereOptions } from 'sequelize';
import { propertiesTable } from '../../models/images/image.js';
import { GlanceError } from './errors.js';

// Glance v2's list filters (images.py RequestDeserializer.index and the database's _make_conditions_from_filters):
// every query parameter that is not paging, sorting, tags, visibility or member status filters the list — a core
// column by equality (some with `in:` and comparison operators), anything else an image's own property by equality.

/** Parameters the list reads itself; every other one is a filter. */
export const NOT_FILTERS = new Set(['limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir', 'visibility', 'os_hidden']);
export const MAX_FILTERS = 64;
/** Filters that name a column and take `eq:` or `in:"a",b`. */
const LISTABLE = ['name', 'id', 'status', 'container_format', 'disk_format'];
const DATES = ['created_at', 'updated_at'];
/** Columns compared by equality as the value is given. */
const EQUAL = ['owner', 'checksum', 'os_hash_value', 'os_hash_algo', 'min_ram', 'min_disk', 'size', 'virtual_size'];
/** Columns `<name>_min` and `<name>_max` bound. */
const RANGED = ['size', 'virtual_size', 'min_ram', 'min_disk'];
const COMPARISONS: Record<string, symbol> = { eq: Op.eq, neq: Op.ne, lt: Op.lt, lte: Op.lte, gt: Op.gt, gte: Op.gte };
const INTEGER_COLUMNS = new Set(['min_ram', 'min_disk', 'size', 'virtual_size']);
/** The largest value a number column holds: 32-bit min_ram and min_disk, 64-bit sizes (as far as a double is exact). */
const limitOf = (column: string) => (column === 'min_ram' || column === 'min_disk' ? 2_147_483_647 : Number.MAX_SAFE_INTEGER);
/** ISO 8601 as oslo's parse_isotime takes it: a date, a time, an optional fraction and zone. */
const ISO = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?)?(Z|[+-]\d\d:?\d\d)?$/i;

const isoTime = (text: string): Date | undefined => {
  if (!ISO.test(text)) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** Glance's split_filter_op: `op:value`, except a bare ISO time (whose colons are not an operator). */
function splitOp(expression: string): [string, string] {
  const at = expression.indexOf(':');
  if (at < 0 || isoTime(expression)) return ['eq', expression];
  return [expression.slice(0, at), expression.slice(at + 1)];
}

/** The values of `in:a,"b,c"`: commas separate, double quotes keep commas inside a value (api-wg's rule). */
export function splitInValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '"') {
      current += '"';
      i++;
    } else if (c === '"') {
      if (!quoted && current !== '') throw new GlanceError(400, `Invalid filter value ${text}. There is no comma before opening quotation mark.`);
      if (quoted && i + 1 !== text.length && text[i + 1] !== ',')
        throw new GlanceError(400, `Invalid filter value ${text}. There is no comma after closing quotation mark.`);
      quoted = !quoted;
      wasQuoted = true;
    } else if (c === ',' && !quoted) {
      values.push(current);
      current = '';
      wasQuoted = false;
    } else current += c;
  }
  if (quoted) throw new GlanceError(400, `Invalid filter value ${text}. The quote is not closed.`);
  if (current !== '' || wasQuoted || values.length) values.push(current);
  return values;
}

const lastValue = (v: unknown): string | undefined => (Array.isArray(v) ? (v.at(-1) as string | undefined) : typeof v === 'string' ? v : undefined);

/** The conditions of a list's filters. */
export function filterConditions(sequelize: Sequelize, q: Record<string, unknown>): WhereOptions[] {
  // Each filter is a condition of the query: their number is bounded (Glance sets no bound; a query string may hold 1,000).
  if (Object.keys(q).filter((k) => !NOT_FILTERS.has(k)).length > MAX_FILTERS)
    throw new GlanceError(400, `Too many filters: at most ${MAX_FILTERS} may be given.`);
  const where: WhereOptions[] = [];
  const quote = (name: string) => sequelize.getQueryInterface().quoteIdentifier(name);
  for (const [key, raw] of Object.entries(q)) {
    if (NOT_FILTERS.has(key)) continue;
    const value = lastValue(raw);
    if (value === undefined) continue;
    if (key === 'changes-since') throw new GlanceError(400, 'The "changes-since" filter is no longer available on v2.');
    if (LISTABLE.includes(key)) {
      const [op, operand] = splitOp(value);
      if (op === 'in') where.push({ [key]: { [Op.in]: splitInValues(operand) } });
      else if (op === 'eq') where.push({ [key]: operand });
      else throw new GlanceError(400, `Unable to filter by unknown operator '${op}'.`);
    } else if (DATES.includes(key)) {
      const [op, operand] = splitOp(value);
      const time = isoTime(operand);
      if (!time) throw new GlanceError(400, `Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
      if (!COMPARISONS[op]) throw new GlanceError(400, 'Unable to filter on a unknown operator.');
      where.push({ [key]: { [COMPARISONS[op]]: time } });
    } else if ((key.endsWith('_min') || key.endsWith('_max')) && RANGED.includes(key.slice(0, -4))) {
      if (!/^[+-]?\d+$/.test(value.trim())) throw new GlanceError(400, 'Unable to filter on a range with a non-numeric value.');
      const column = key.slice(0, -4);
      const bound = Math.max(-limitOf(column), Math.min(limitOf(column), Number(value)));
      where.push({ [column]: { [key.endsWith('_min') ? Op.gte : Op.lte]: bound } });
    } else if (key === 'protected') {
      where.push({ protected: value === 'true' });
    } else if (EQUAL.includes(key)) {
      // A number column compared with text that is no number matches nothing (PostgreSQL would refuse the query).
      const number = Number(value);
      if (INTEGER_COLUMNS.has(key) && (!/^[+-]?\d+$/.test(value.trim()) || Math.abs(number) > limitOf(key))) where.push({ id: { [Op.is]: null } });
      else where.push({ [key]: INTEGER_COLUMNS.has(key) ? Number(value) : value });
    } else {
      where.push({
        id: {
          [Op.in]: literal(
            `(SELECT image_id FROM ${quote(propertiesTable)} WHERE name = ${sequelize.escape(key)} AND value = ${sequelize.escape(value)})`,
          ),
        },
      });
    }
  }
  return where;
}
