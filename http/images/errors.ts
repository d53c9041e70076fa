import type { Middleware } from 'koa';
import type { RequestState } from '../correlation.js';
import { statusTitles as titles } from '../status-titles.js';

/** An error answered as Glance (WebOb) answers JSON clients: `{"code", "title", "message"}`. */
export class GlanceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A Glance error body: `{"code", "title", "message"}`. */
export const glanceErrorBody = (status: number, message: string) => ({ code: status, title: titles[status] ?? 'Error', message });

export const glanceErrors: Middleware<Partial<RequestState>> = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw new GlanceError(404, 'The resource could not be found.');
    if (ctx.status === 405 && ctx.body === undefined) throw new GlanceError(405, 'The method specified is not allowed for this resource.');
  } catch (error) {
    // The identity service's errors (a bad token) are answered here in Glance's shape too.
    const status = (error as { status?: number }).status ?? 500;
    const known = status < 500;
    if (!known) ctx.state.log?.error({ err: error }, 'image request failed');
    ctx.status = status;
    ctx.body = glanceErrorBody(status, known ? (error as Error).message : 'An unexpected error occurred.');
  }
};
