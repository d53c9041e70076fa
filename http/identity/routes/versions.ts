import Router from '@koa/router';
import type { IdentityServices, IdentityState } from '../services.js';

const v3 = (href: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${href}/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

/** Version discovery, open to anyone: `/` lists the versions (300, as Keystone), `/v3` describes v3. */
export function versionRoutes(services: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>();
  router.get('/', (ctx) => {
    ctx.status = 300;
    ctx.body = { versions: { values: [v3(services.v3Url())] } };
  });
  router.get(['/v3', '/v3/'], (ctx) => {
    ctx.body = { version: v3(services.v3Url()) };
  });
  return router;
}
