import type { Middleware } from 'koa';

const loopback = (address: string | undefined) => !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));

/** Operational endpoints stay on the machine unless configured otherwise. */
export const loopbackOnly =
  (allowRemote: boolean): Middleware =>
  async (ctx, next) => {
    if (!allowRemote && !loopback(ctx.socket.remoteAddress)) {
      ctx.status = 403;
      ctx.body = { error: { code: 403, message: 'metrics are served on the loopback interface only' } };
      return;
    }
    await next();
  };
