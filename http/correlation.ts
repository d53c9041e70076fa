import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

export interface RequestState { correlationId: string; log: Logger }

/** A request's state; its child logger is made only when something logs through it. */
class State implements RequestState {
  private child: Logger | undefined;
  constructor(readonly correlationId: string, private readonly logger: Logger) {}
  get log(): Logger { return (this.child ??= this.logger.child({ correlationId: this.correlationId })); }
}

const accepted = /^req-[0-9a-f-]{36}$/;

/**
 * Gives every request a correlation id (OpenStack's `req-<uuid>` form), reusing the caller's
 * when it sends a well-formed one, so one id follows the request through every message it causes.
 */
export function correlation(logger: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const given = ctx.get('x-openstack-request-id') || ctx.get('x-request-id');
    const id = accepted.test(given) ? given : `req-${randomUUID()}`;
    ctx.state = Object.assign(new State(id, logger), ctx.state);
    ctx.set('x-openstack-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info({ correlationId: id, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}
