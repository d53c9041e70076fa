import type { Context } from 'koa';

// The JSON bodies read, by request, for whoever looks at a request after its handler.
const parsed = new WeakMap<object, unknown>();

/**
 * How deep a body's arrays and objects may nest. No OpenStack request needs more than a handful
 * of levels; a deeper one is refused before it is parsed, so no recursive checker, formatter or
 * logger ever walks a document deep enough to run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

const bad = (message: string) => Object.assign(new Error(message), { status: 400 });

/** The deepest nesting of arrays and objects in JSON text, stopping once it passes `max`; strings are skipped. */
function depthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Whether any string or key of a parsed body holds a NUL. PostgreSQL refuses NUL in text and a
 * literal carrying one breaks SQLite's statement, so such a value is refused where it enters.
 * Iterative: the depth is bounded already, but nothing here should depend on that.
 */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (v.includes('\0')) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) pending.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\0')) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/**
 * Reads a JSON request body (at most `limit` bytes); undefined when there is none. Errors carry
 * a `status` (400, 413) for each API to answer in its own format.
 */
export async function readJson(ctx: Context, limit = 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (depthExceeds(text, MAX_JSON_DEPTH)) throw bad(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad('request body is not valid JSON');
  }
  if (holdsNul(body)) throw bad('request body holds a NUL character');
  parsed.set(ctx.req, body);
  return body;
}

/** The JSON body a handler read from this request with `readJson`, if it read one. */
export const jsonBodyRead = (ctx: Context): unknown => parsed.get(ctx.req);
