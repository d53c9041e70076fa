import type { Context } from 'koa';

// The JSON bodies read, by request, for whoever looks at a request after its handler.
const parsed = new WeakMap<object, unknown>();

/** Reads a JSON request body (at most `limit` bytes); undefined when there is none. */
export async function readJson(ctx: Context, limit = 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    parsed.set(ctx.req, body);
    return body;
  } catch {
    throw Object.assign(new Error('request body is not valid JSON'), { status: 400 });
  }
}

/** The JSON body a handler read from this request with `readJson`, if it read one. */
export const jsonBodyRead = (ctx: Context): unknown => parsed.get(ctx.req);
