import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

export interface RequestState {
  /** This request's own id, always made here: it keys the instance actions the request causes. */
  correlationId: string;
  /** The caller's well-formed `X-OpenStack-Request-ID`, if it sent one: the id of its larger operation. */
  globalRequestId?: string;
  log: Logger;
}

/** A request's state; its child logger is made only when something logs through it. */
class State implements RequestState {
  private child: Logger | undefined;
  constructor(
    readonly correlationId: string,
    readonly globalRequestId: string | undefined,
    private readonly logger: Logger,
  ) {}
  get log(): Logger {
    return (this.child ??= this.logger.child({
      correlationId: this.correlationId,
      ...(this.globalRequestId ? { globalRequestId: this.globalRequestId } : {}),
    }));
  }
}

const accepted = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Gives every request its own correlation id (OpenStack's `req-<uuid>` form), which follows it
 * through every message it causes and names its instance actions. As in Nova (oslo.middleware's
 * request_id and oslo.context's global_request_id), a caller's own well-formed id never replaces
 * it — a client could otherwise send another's id and merge its actions into theirs — but is
 * kept beside it as the global request id, in the logs.
 */
export function correlation(logger: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const given = ctx.get('x-openstack-request-id');
    const global = accepted.test(given) ? given : undefined;
    const id = `req-${randomUUID()}`;
    ctx.state = Object.assign(new State(id, global, logger), ctx.state);
    ctx.set('x-openstack-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info(
        {
          correlationId: id,
          ...(global ? { globalRequestId: global } : {}),
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}
