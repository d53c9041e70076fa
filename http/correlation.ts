import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

export interface RequestState { correlationId: string; log: Logger }

const accepted = /^req-[0-9a-f-]{36}$/;

/**
 * Gives every request a correlation id (OpenStack's `req-<uuid>` form), reusing the caller's
 * when it sends a well-formed one, so one id follows the request through every message it causes.
 */
export function correlation(logger: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const given = ctx.get('x-openstack-request-id') || ctx.get('x-request-id');
    const id = accepted.test(given) ? given : `req-${randomUUID()}`;
    ctx.state.correlationId = id;
    ctx.state.log = logger.child({ correlationId: id });
    ctx.set('x-openstack-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}
