import type { WhereOptions } from 'sequelize';
import { readRows, type RowModel } from '../../models/typed.js';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { Catalog } from './catalog.js';
import type { Directory } from './directory.js';
import type { SecretBox } from './secrets.js';
import type { AuthContext, TokenService } from './tokens.js';
import type { RequestState } from '../correlation.js';
import { notFound } from './errors.js';

/** What the identity routes work with. */
export interface IdentityServices {
  readonly models: Models;
  readonly directory: Directory;
  readonly tokens: TokenService;
  readonly catalog: Catalog;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  /** Checks a password against a stored hash (or none) at the same cost either way. */
  readonly verifyPassword: (password: string, stored: string | null | undefined) => Promise<boolean>;
  /** Keystone's `list_limit`: the most entries a list answers (and reads); more marks it `truncated`. */
  readonly listLimit: number;
  /** The public `/v3` URL, for links. */
  readonly v3Url: () => string;
}

export interface IdentityState extends RequestState {
  auth?: AuthContext;
}

/** The caller's validated token, from `X-Auth-Token`. */
export const authenticate = (s: IdentityServices, ctx: { get(header: string): string }) => s.tokens.context(ctx.get('x-auth-token'));

/** Keystone's ids: UUIDs without dashes. */
export const newId = () => crypto.randomUUID().replace(/-/g, '');

/**
 * Reads at most `listLimit + 1` rows (the query is given the limit), so a list never reads a
 * whole table; answers the first `listLimit` and whether there were more.
 */
export async function limited<T>(s: IdentityServices, read: (limit: number) => Promise<T[]>): Promise<{ rows: T[]; truncated: boolean }> {
  const rows = await read(s.listLimit + 1);
  return { rows: rows.slice(0, s.listLimit), truncated: rows.length > s.listLimit };
}

/** `limited` over a table's rows in Keystone's order (by name, then id), for the lists of named records. */
export const limitedByName = <Row extends object, C extends object>(s: IdentityServices, model: RowModel<Row, C>, where: WhereOptions) =>
  limited(s, (limit) =>
    readRows(model, {
      where,
      order: [
        ['name', 'ASC'],
        ['id', 'ASC'],
      ],
      limit,
    }),
  );

/** A query-string filter, for routes that take `?name=` and the like. */
export const filter = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The `where` of a list call: the given string filters, and `enabled=true|false` (or 1/0) as Keystone takes it, for
 * the records that have it (Keystone ignores a filter on an attribute a record lacks).
 */
export function listWhere(query: Record<string, unknown>, keys: readonly string[], enabledFilter = true): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  for (const key of keys) {
    const value = filter(query[key]);
    if (value !== undefined) where[key] = value;
  }
  const enabled = query.enabled as string | string[] | undefined;
  if (enabledFilter && enabled !== undefined) where.enabled = ['true', '1', 'True'].includes(String(enabled));
  return where;
}

/** The domain a new project or user goes in: the one given, else the caller's scope's, else Default. */
export async function domainFor(s: IdentityServices, auth: AuthContext, given: string | undefined): Promise<string> {
  const scoped = auth.projectId ? (await s.directory.project(auth.projectId))?.domain_id : auth.domainId;
  const domainId = given ?? scoped ?? 'default';
  if (!(await s.directory.domain(domainId))) throw notFound('domain', domainId);
  return domainId;
}
