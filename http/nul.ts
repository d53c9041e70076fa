import type { Context } from 'koa';

const NUL = /%00|\0/i;

/**
 * Where a request's URL carries a NUL: no id, name or filter value can hold one (PostgreSQL
 * refuses NUL in text, and a literal carrying one breaks SQLite's statement), so each API
 * refuses it up front in its own format — a path naming nothing that can exist is a 404, a
 * query value that can match nothing a 400.
 */
export function nulIn(ctx: Context): 'path' | 'query' | undefined {
  if (NUL.test(ctx.path)) return 'path';
  if (NUL.test(ctx.querystring)) return 'query';
  return undefined;
}

export const NUL_IN_QUERY = 'Invalid input for query parameters: a value holds a NUL character.';
