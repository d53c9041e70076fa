import Router from '@koa/router';
import type { NetworkServices, NetworkState } from '../services.js';

/** Version discovery, open to anyone: `/` lists v2.0, `/v2.0` lists the top-level resources. */
export function versionRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>();
  const version = () => ({ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${s.publicUrl()}/v2.0/` }] });
  router.get('/', (ctx) => {
    ctx.body = { versions: [version()] };
  });
  const resources = [
    'subnets',
    'networks',
    'ports',
    'security-groups',
    'security-group-rules',
    'quotas',
    'extensions',
    'routers',
    'floatingips',
    'network-ip-availabilities',
  ];
  for (const path of ['/v2.0', '/v2.0/']) {
    router.get(path, (ctx) => {
      ctx.body = {
        resources: resources.map((name) => ({
          name: name.replace(/-/g, '_').replace(/ies$/, 'y').replace(/s$/, ''),
          collection: name,
          links: [{ rel: 'self', href: `${s.publicUrl()}/v2.0/${name}` }],
        })),
      };
    });
  }
  return router;
}
