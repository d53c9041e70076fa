import type { Middleware } from 'koa';

/**
 * koa-router answers a method it has no route for anywhere (PROPFIND, TRACE) 501 Not Implemented;
 * Nova, Keystone and Glance answer 405 for any method a path does not take, as for a known one.
 * The API's own error middleware then words the 405.
 */
export const unknownMethodNotAllowed: Middleware = async (ctx, next) => {
  await next();
  if (ctx.status === 501 && ctx.body === undefined) ctx.status = 405;
};
