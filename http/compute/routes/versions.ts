import Router from '@koa/router';
import { MAX_VERSION, MIN_VERSION } from '../microversion.js';
import type { ComputeServices, ComputeState } from '../services.js';

/** Version discovery, open to anyone, as Nova serves it at `/` and `/v2.1`. */
export function versionRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const v21 = () => ({
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${s.publicUrl()}/v2.1/` }],
  });
  router.get('/', (ctx) => {
    ctx.body = { versions: [v21()] };
  });
  router.get(['/v2.1', '/v2.1/'], (ctx) => {
    ctx.body = {
      version: {
        ...v21(),
        links: [...v21().links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      },
    };
  });
  return router;
}
