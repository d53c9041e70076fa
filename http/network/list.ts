import type { Context } from 'koa';
import { Op, type Order, type WhereOptions } from 'sequelize';
import { badRequest, badResourceRequest } from './errors.js';
import { toBoolean } from './attributes.js';

/** One attribute a list may filter or sort on: its column and how a query string value becomes a column value. */
export interface ListAttribute {
  readonly column: string;
  readonly convert?: (value: string) => unknown;
  readonly sort?: boolean;
}

export interface ListSpec {
  readonly collection: string;
  readonly attributes: Readonly<Record<string, ListAttribute>>;
  /** Filters that are no single column (a port's `fixed_ips`): conditions of their own. */
  readonly special?: Readonly<Record<string, (values: string[]) => WhereOptions | Promise<WhereOptions>>>;
}

export const asBoolean = (v: string) => toBoolean(v);
export const asInteger = (v: string) => {
  if (!/^-?\d+$/.test(v)) throw badRequest(`Invalid input for operation: '${v}' is not an integer.`);
  return Number(v);
};

const MAX_FILTER_VALUES = 1000;
/** The longest page a list answers (Neutron's `pagination_max_limit`). */
export const PAGINATION_MAX_LIMIT = 10_000;
const SKIPPED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

export interface ListQuery {
  readonly where: WhereOptions[];
  readonly sorts: Array<[string, boolean]>;
  readonly limit: number;
  /** Whether the client asked for pages (a `limit`), so the answer carries `<collection>_links`. */
  readonly paged: boolean;
  readonly marker?: string;
  readonly pageReverse: boolean;
  readonly fields: string[];
}

const all = (ctx: Context, key: string): string[] => {
  const v = ctx.query[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** A list request's filters, sorting, paging and fields, refused in Neutron's words when they name what is not there. */
export async function listQuery(ctx: Context, spec: ListSpec): Promise<ListQuery> {
  const where: WhereOptions[] = [];
  const invalid: string[] = [];
  for (const key of Object.keys(ctx.query)) {
    if (SKIPPED.has(key)) continue;
    const values = all(ctx, key);
    if (values.length > MAX_FILTER_VALUES) throw badRequest(`Too many values for filter ${key}: at most ${MAX_FILTER_VALUES}`);
    const special = spec.special?.[key];
    if (special) {
      where.push(await special(values));
      continue;
    }
    const attribute = spec.attributes[key === 'tenant_id' ? 'project_id' : key];
    if (!attribute) {
      invalid.push(key);
      continue;
    }
    where.push({ [attribute.column]: { [Op.in]: values.map((v) => (attribute.convert ? attribute.convert(v) : v)) } });
  }
  if (invalid.length) throw badRequest(`[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);

  const keys = all(ctx, 'sort_key').filter(Boolean);
  const dirs = all(ctx, 'sort_dir').filter(Boolean);
  if (keys.length !== dirs.length) throw badRequest('The number of sort_keys and sort_dirs must be same');
  const absent = keys.filter((k) => !spec.attributes[k === 'tenant_id' ? 'project_id' : k]?.sort);
  if (absent.length) throw badRequest(`[${absent.map((k) => `'${k}'`).join(', ')}] is invalid attribute for sort_keys`);
  const badDirs = dirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length)
    throw badRequest(`[${badDirs.map((d) => `'${d}'`).join(', ')}] is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);
  const sorts: Array<[string, boolean]> = keys.map((k, i) => [spec.attributes[k === 'tenant_id' ? 'project_id' : k].column, dirs[i] === 'asc']);
  if (!sorts.some(([c]) => c === 'id')) sorts.push(['id', true]);

  const limitText = typeof ctx.query.limit === 'string' ? ctx.query.limit : '0';
  if (!/^\d+$/.test(limitText.trim())) throw badResourceRequest('limit', `Limit must be an integer 0 or greater and not '${limitText}'`);
  // Neutron's pagination_max_limit: a page is never longer, and a list without a limit is paged at it.
  const limit = Math.min(Number(limitText) || PAGINATION_MAX_LIMIT, PAGINATION_MAX_LIMIT);
  const paged = Number(limitText) > 0;
  const marker = typeof ctx.query.marker === 'string' && ctx.query.marker ? ctx.query.marker : undefined;
  const pageReverse = typeof ctx.query.page_reverse === 'string' && ctx.query.page_reverse.toLowerCase() === 'true';
  return { where, sorts, limit, paged, marker, pageReverse, fields: all(ctx, 'fields').filter(Boolean) };
}

/** Rows after (or, reversed, before) the marker row in the sort order: the keyset condition. */
export function afterMarker(q: ListQuery, marker: Record<string, unknown>): WhereOptions {
  const ors: WhereOptions[] = q.sorts.map(([column, asc], i) => {
    const forward = asc !== q.pageReverse;
    const equal = Object.fromEntries(q.sorts.slice(0, i).map(([c]) => [c, marker[c]]));
    return { ...equal, [column]: { [forward ? Op.gt : Op.lt]: marker[column] } };
  });
  return { [Op.or]: ors };
}

export const orderOf = (q: ListQuery): Order => q.sorts.map(([column, asc]) => [column, asc !== q.pageReverse ? 'ASC' : 'DESC']);

/** Only the asked-for `fields` of each item (all of them when none is asked). */
export const select = (fields: readonly string[], item: Record<string, unknown>): Record<string, unknown> =>
  fields.length ? Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]])) : item;

/** Neutron's `<collection>_links`: next while a page is full, previous unless a reversed page came up short. */
export function pageLinks(ctx: Context, q: ListQuery, items: ReadonlyArray<{ id: string }>): Array<{ rel: string; href: string }> {
  const base = `${ctx.protocol}://${ctx.host}${ctx.path}`;
  const link = (marker: string | undefined, reverse: boolean) => {
    const params = new URLSearchParams(ctx.querystring);
    params.delete('marker');
    params.delete('page_reverse');
    if (marker !== undefined) params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return `${base}?${params.toString()}`;
  };
  const links: Array<{ rel: string; href: string }> = [];
  if (!(items.length < q.limit && !q.pageReverse)) links.push({ rel: 'next', href: link(items[items.length - 1]?.id, false) });
  if (!(items.length < q.limit && q.pageReverse)) links.push({ rel: 'previous', href: link(items[0]?.id, true) });
  return links;
}

/** `<collection>_links` when the client asked for pages, or when a list without a limit was cut at the longest page. */
export const linksOf = (ctx: Context, q: ListQuery, items: ReadonlyArray<{ id: string }>, collection: string): Record<string, unknown> =>
  q.paged || items.length >= q.limit ? { [`${collection}_links`]: pageLinks(ctx, q, items) } : {};
