import Router from '@koa/router';
import type { ImageServices, ImageState } from '../services.js';

const VERSIONS = [
  ['v2.16', 'CURRENT'],
  ['v2.15', 'SUPPORTED'],
  ['v2.9', 'SUPPORTED'],
  ['v2.0', 'SUPPORTED'],
] as const;

/** Version discovery, open to anyone: Glance answers `/` with 300 and `/versions` with 200. */
export function versionRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>();
  const body = () => ({
    versions: VERSIONS.map(([id, status]) => ({ id, status, links: [{ rel: 'self', href: `${s.publicUrl()}/v2/` }] })),
  });
  router.get('/', (ctx) => {
    ctx.status = 300;
    ctx.body = body();
  });
  router.get('/versions', (ctx) => {
    ctx.body = body();
  });
  return router;
}
