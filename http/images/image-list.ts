import { Op, literal, type Sequelize, type WhereOptions } from 'sequelize';
import type { ImageRow } from '../../models/index.js';
import { membersTable, tagsTable } from '../../models/images/image.js';
import type { AuthContext } from '../identity/index.js';
import { visible } from './access.js';
import type { ImageRepository } from './repository.js';
import type { FullImage } from './views.js';
import { readRows } from '../../models/typed.js';

/** Who lists: what visibility depends on. */
export type Viewer = Pick<AuthContext, 'isAdmin' | 'projectId'>;
import { GlanceError } from './errors.js';
import { filterConditions } from './image-filters.js';

// `GET /v2/images` as SQL: the caller's visibility, the filters, the sort and the page are all
// in the query, so `limit` bounds what is read (Glance's api_limit_max: 1,000 at most).

export const LIMIT_DEFAULT = 25;
export const LIMIT_MAX = 1_000;
const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
  'min_disk',
  'min_ram',
  'visibility',
  'owner',
];
const DATES = new Set(['created_at', 'updated_at']);

type Query = Record<string, unknown>;
export type SortKey = [string, 'asc' | 'desc'];

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** Glance's sorting: `sort=name:asc,size` or `sort_key`/`sort_dir`; newest first by default; `id` breaks ties. */
export function sortKeys(q: Query): SortKey[] {
  let keys: Array<[string, string]>;
  if (typeof q.sort === 'string') {
    keys = q.sort.split(',').map((part) => {
      const [key, dir = 'desc'] = part.split(':');
      return [key, dir];
    });
  } else {
    const names = list(q.sort_key).flatMap((k) => k.split(','));
    const dirs = list(q.sort_dir).flatMap((d) => d.split(','));
    keys = (names.length ? names : ['created_at']).map((k, i) => [k, dirs[i] ?? dirs[0] ?? 'desc']);
  }
  for (const [key, dir] of keys) {
    if (!SORT_KEYS.includes(key)) throw new GlanceError(400, `Invalid sort key: ${key}`);
    if (dir !== 'asc' && dir !== 'desc') throw new GlanceError(400, `Invalid sort direction: ${dir}`);
  }
  const checked = keys as SortKey[];
  if (!checked.some(([k]) => k === 'id')) checked.push(['id', checked[0]?.[1] ?? 'desc']);
  return checked;
}

export function pageSize(q: Query): number {
  const limit = q.limit === undefined ? LIMIT_DEFAULT : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new GlanceError(400, 'limit param must be an integer');
  return Math.min(limit, LIMIT_MAX);
}

/** Nulls sort as the smallest value, whichever the database. */
export const order = (keys: SortKey[]) => keys.map(([k, d]) => [k, d === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST'] as [string, string]);

/** The conditions of the list: who may see what (as Glance's default listing shows it) and the filters. */
export function listConditions(sequelize: Sequelize, auth: Viewer, q: Query): WhereOptions[] {
  const project = auth.projectId ?? '';
  const quote = (name: string) => sequelize.getQueryInterface().quoteIdentifier(name);
  const memberOf = (status?: string) =>
    literal(
      `(SELECT image_id FROM ${quote(membersTable)} WHERE member = ${sequelize.escape(project)}` +
        `${status ? ` AND status = ${sequelize.escape(status)}` : ''})`,
    );
  const where: WhereOptions[] = filterConditions(sequelize, q);
  if (q.os_hidden !== 'true') where.push({ os_hidden: false });
  for (const tag of list(q.tag)) {
    where.push({ id: { [Op.in]: literal(`(SELECT image_id FROM ${quote(tagsTable)} WHERE value = ${sequelize.escape(tag)})`) } });
  }
  const visibility = typeof q.visibility === 'string' ? q.visibility : undefined;
  const memberStatus = typeof q.member_status === 'string' ? q.member_status : 'accepted';
  if (!auth.isAdmin) {
    where.push({
      [Op.or]: [{ owner: project }, { visibility: { [Op.in]: ['public', 'community'] } }, { visibility: 'shared', id: { [Op.in]: memberOf() } }],
    });
  }
  const sharedWithMe = memberStatus === 'all' ? memberOf() : memberOf(memberStatus);
  if (visibility && visibility !== 'all') {
    where.push({ visibility });
    if (visibility === 'shared' && !auth.isAdmin) where.push({ [Op.or]: [{ owner: project }, { id: { [Op.in]: sharedWithMe } }] });
  } else if (!auth.isAdmin) {
    // By default Glance lists community images only to their owner, and shared ones to members
    // only once they accepted them.
    where.push({
      [Op.or]: [{ visibility: { [Op.notIn]: ['community', 'shared'] } }, { owner: project }, { visibility: 'shared', id: { [Op.in]: sharedWithMe } }],
    });
  }
  return where;
}

/** The rows that come after the marker in this order (keyset paging: no offset, no rows skipped by reading). */
export function after(marker: ImageRow, keys: SortKey[]): WhereOptions {
  const value = (k: string) => {
    // Sort keys are named at run time; ImageRow has no index signature.
    const v = (marker as unknown as Record<string, unknown>)[k];
    return v === null || v === undefined ? null : DATES.has(k) ? new Date(v as string) : v;
  };
  const equal = (k: string) => (value(k) === null ? { [k]: { [Op.is]: null } } : { [k]: value(k) });
  const beyond = (k: string, dir: 'asc' | 'desc'): WhereOptions | undefined => {
    const v = value(k);
    if (dir === 'asc') return v === null ? { [k]: { [Op.not]: null } } : { [k]: { [Op.gt]: v } };
    return v === null ? undefined : { [Op.or]: [{ [k]: { [Op.lt]: v } }, { [k]: { [Op.is]: null } }] };
  };
  const alternatives: WhereOptions[] = [];
  keys.forEach(([k, dir], i) => {
    const next = beyond(k, dir);
    if (next) alternatives.push({ [Op.and]: [...keys.slice(0, i).map(([p]) => equal(p)), next] });
  });
  return alternatives.length ? { [Op.or]: alternatives } : { id: { [Op.is]: null } };
}

/**
 * One page of the list as `q` asks for it (filters, sort, marker), `size` at most; `more` tells whether rows follow
 * (one row more than the page is read).
 */
export async function readPage(repo: ImageRepository, auth: Viewer, q: Query, size: number): Promise<{ page: FullImage[]; more: boolean }> {
  const keys = sortKeys(q);
  const { Image } = repo.models;
  const where = listConditions(Image.sequelize!, auth, q);
  const marker = typeof q.marker === 'string' ? q.marker : undefined;
  if (marker) {
    const at = await repo.get(marker);
    if (!at || !visible(auth, at.row, (await repo.membersOf(marker)).find((m) => m.member === auth.projectId)?.status)) {
      throw new GlanceError(400, `marker ${marker} could not be found.`);
    }
    where.push(after(at.row, keys));
  }
  const rows = await readRows(Image, { where: { [Op.and]: where }, order: order(keys), limit: size + 1 });
  return { page: await repo.withDetails(rows.slice(0, size)), more: rows.length > size };
}
