import { badRequest } from './errors.js';
import { lastOf } from './nova-values.js';
import type { ComputeContext, ComputeServices } from './services.js';

/** Nova's `[api] max_limit`: the most items one page holds, asked for or not. */
export const MAX_LIMIT = 1000;

/** The page size a request asks for (Nova's get_limit_and_marker): at most MAX_LIMIT. */
export function limitOf(ctx: ComputeContext): number {
  const raw = ctx.query.limit;
  if (raw === undefined) return MAX_LIMIT;
  const text = String(Array.isArray(raw) ? raw[0] : raw).trim();
  if (!/^[+-]?\d+$/.test(text)) throw badRequest('Invalid input received: limit must be an integer');
  const n = Number(text);
  if (n < 0) throw badRequest('Invalid input received: limit must be >= 0');
  return Math.min(MAX_LIMIT, n);
}

export const markerOf = (ctx: ComputeContext): string | undefined => {
  const raw = ctx.query.marker;
  return raw === undefined ? undefined : String(Array.isArray(raw) ? raw[0] : raw);
};

/**
 * Nova's `<collection>_links`: a `next` link when the page is as full as a page can be (the
 * limit asked for, or MAX_LIMIT), with the request's own parameters and the last item as marker.
 */
export function collectionLinks(
  s: ComputeServices,
  ctx: ComputeContext,
  collection: string,
  lastIds: string[],
): Array<{ rel: string; href: string }> {
  const raw = ctx.query.limit;
  const asked = raw === undefined ? MAX_LIMIT : Number(Array.isArray(raw) ? raw[0] : raw);
  const full = Math.min(asked, MAX_LIMIT);
  if (!full || full !== lastIds.length) return [];
  const params = new Map<string, string>();
  for (const key of Object.keys(ctx.query).sort()) params.set(key, String(lastOf(ctx.query[key])));
  params.set('marker', lastIds[lastIds.length - 1]);
  return [{ rel: 'next', href: `${s.publicUrl()}/v2.1/${collection}?${new URLSearchParams([...params])}` }];
}
