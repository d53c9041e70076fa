import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { correlation, type RequestState } from './correlation.js';
import { loopbackOnly } from './loopback.js';

export interface OpsOptions {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly allowRemoteMetrics: boolean;
  /** Reports what is unhealthy; an empty list is healthy. */
  readonly check: () => Promise<string[]>;
  readonly describe: () => Record<string, unknown>;
}

/** `/healthz` (open by nature) and `/metrics` (Prometheus text, loopback unless configured). */
export function opsApp(options: OpsOptions): Koa<RequestState> {
  const app = new Koa<RequestState>();
  const router = new Router<RequestState>();
  router.get('/healthz', async (ctx) => {
    const problems = await options.check().catch((e: Error) => [e.message]);
    ctx.status = problems.length ? 503 : 200;
    ctx.body = { status: problems.length ? 'unhealthy' : 'ok', problems, ...options.describe() };
  });
  router.get('/metrics', loopbackOnly(options.allowRemoteMetrics), async (ctx) => {
    ctx.type = options.metrics.contentType;
    ctx.body = await options.metrics.metrics();
  });
  app.use(correlation(options.logger));
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
