import { literal, Op, type Model, type ModelStatic, type WhereOptions } from 'sequelize';
import type { InstanceRow, Models } from '../../models/index.js';
import { readInstances, type Attribute } from './instance-reads.js';

// One page of a server list read in SQL: sorted, after a marker, and `limit` long, so a page
// never reads more rows than it shows. Filters SQL cannot apply (regular expressions, tags) are
// applied to batches read in sort order until the page is full: memory stays bounded however
// many rows the filters pass over.

type Instances = Models['Instance'];

export interface SortColumn {
  column: string;
  dir: 'asc' | 'desc';
}

export interface PageQuery {
  where: WhereOptions;
  /** Columns the caller reads (the view's and the in-memory filters'). */
  columns: string[];
  sort: SortColumn[];
  limit: number;
  /** The server to start after: it sorts where it sorts even when the filters do not show it. */
  marker?: string;
  /** A test for each row SQL cannot make; rows failing it are skipped. */
  keep?: (row: InstanceRow) => boolean;
}

/** Rows read per query while a filter in memory skips rows. */
const BATCH = 200;
const KEY = '__sort';
const YIELD_AFTER_MS = 10;

/** Thrown when the marker names no server at all. */
export class MarkerNotFound extends Error {}

/**
 * The sort as SQL: the ORDER BY, the sort values to read with each row (`keys`), and the
 * condition for the rows after given values (`after`, for a marker). Text sorts byte-wise on
 * both databases, case-insensitively unless told otherwise (MySQL's default collation, the
 * reference deployment's); NULL sorts first ascending and last descending, as in MySQL.
 */
export function sortSql(model: ModelStatic<Model>, sort: SortColumn[], foldCase = true) {
  const sequelize = model.sequelize!;
  const pg = sequelize.getDialect() === 'postgres';
  const quote = (c: string) => sequelize.getQueryInterface().quoteIdentifier(c);
  const types = model.getAttributes();
  const exprs = sort.map(({ column }) => {
    const key = (types[column]?.type as { key?: string } | undefined)?.key;
    if (key !== 'STRING' && key !== 'TEXT') return quote(column);
    const text = foldCase ? `lower(${quote(column)})` : quote(column);
    return pg ? `${text} COLLATE "C"` : text;
  });
  const order = exprs.map((e, n) => literal(`${e} ${sort[n].dir === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST'}`));
  const keys: Attribute[] = exprs.map((e, n) => [literal(e), `${KEY}${n}`]);
  /** Rows sorting strictly after one whose sort values are `values`. */
  const after = (values: unknown[]) => {
    const escape = (v: unknown) => sequelize.escape(v as string);
    const equal = (n: number) => (values[n] === null ? `${exprs[n]} IS NULL` : `${exprs[n]} = ${escape(values[n])}`);
    const beyond = (n: number) => {
      if (sort[n].dir === 'asc') return values[n] === null ? `${exprs[n]} IS NOT NULL` : `${exprs[n]} > ${escape(values[n])}`;
      return values[n] === null ? '1 = 0' : `(${exprs[n]} IS NULL OR ${exprs[n]} < ${escape(values[n])})`;
    };
    const alternatives = exprs.map((_, n) => [...exprs.slice(0, n).map((__, m) => equal(m)), beyond(n)].join(' AND '));
    return literal(`(${alternatives.map((a) => `(${a})`).join(' OR ')})`);
  };
  return { order, keys, after };
}

/** The sort values `sortSql`'s keys read with a row. */
export const sortValues = (row: object, count: number) =>
  Array.from({ length: count }, (_, n) => (row as Record<string, unknown>)[`${KEY}${n}`] ?? null);

/** The row without the sort values read with it. */
export const withoutKeys = <R extends object>(row: R, count: number): R => {
  for (let n = 0; n < count; n++) delete (row as Record<string, unknown>)[`${KEY}${n}`];
  return row;
};

/** One page of servers, read in SQL as described above. */
export async function readPage(model: Instances, q: PageQuery): Promise<InstanceRow[]> {
  if (q.limit <= 0) return [];
  const sql = sortSql(model, q.sort);
  const attributes: Attribute[] = [...q.columns, ...sql.keys];
  let from: unknown[] | undefined;
  if (q.marker !== undefined) {
    const [row] = await readInstances(model, { where: { uuid: q.marker }, attributes: sql.keys });
    if (!row) throw new MarkerNotFound();
    from = sortValues(row, q.sort.length);
  }
  const page: InstanceRow[] = [];
  const size = q.keep ? BATCH : q.limit;
  for (;;) {
    // SQLite keeps the subquery's order in json_group_array: the ordered, limited subquery is read as a co-routine.
    const rows = await readInstances(model, {
      where: from ? { [Op.and]: [q.where, sql.after(from)] } : q.where,
      attributes,
      order: sql.order,
      limit: q.keep ? size : q.limit - page.length,
    });
    let since = performance.now();
    for (const row of rows) {
      // Matching is linear but not free: other requests get the event loop at least every few milliseconds.
      if (q.keep && performance.now() - since > YIELD_AFTER_MS) {
        await new Promise((resume) => setImmediate(resume));
        since = performance.now();
      }
      if (q.keep && !q.keep(row)) continue;
      page.push(row);
      if (page.length === q.limit) break;
    }
    if (page.length === q.limit || rows.length < size || !q.keep) break;
    from = sortValues(rows[rows.length - 1], q.sort.length);
  }
  return page.map((r) => withoutKeys(r, q.sort.length));
}
