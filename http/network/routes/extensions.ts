import Router from '@koa/router';
import { EXTENSIONS } from '../extension-list.js';
import { notFound } from '../errors.js';
import { authenticate, type NetworkServices, type NetworkState } from '../services.js';

const view = (e: (typeof EXTENSIONS)[number]) => ({ ...e, links: [] as unknown[] });

/** `/v2.0/extensions`: what this service offers, so clients gate on it. */
export function extensionRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/extensions' });
  router.get('/', async (ctx) => {
    await authenticate(s, ctx);
    ctx.body = { extensions: EXTENSIONS.map(view) };
  });
  router.get('/:alias', async (ctx) => {
    await authenticate(s, ctx);
    const found = EXTENSIONS.find((e) => e.alias === ctx.params.alias);
    if (!found) throw notFound('HTTPNotFound', `Extension with alias ${ctx.params.alias} does not exist`);
    ctx.body = { extension: view(found) };
  });
  return router;
}
