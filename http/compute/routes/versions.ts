import Router from '@koa/router';
import { isLegacyV2 } from '../legacy-v2.js';
import { MAX_VERSION, MIN_VERSION } from '../microversion.js';
import type { ComputeServices, ComputeState } from '../services.js';

// Version discovery, open to anyone, as Nova serves it at `/`, `/v2.1` and (the legacy v2 API,
// served by the same code without microversions) `/v2`.

const DESCRIBED_BY = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' };

const VERSIONS = {
  'v2.0': {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    path: 'v2',
    media: 'application/vnd.openstack.compute+json;version=2',
  },
  'v2.1': {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    path: 'v2.1',
    media: 'application/vnd.openstack.compute+json;version=2.1',
  },
} as const;

export function versionRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const self = (path: string) => ({ rel: 'self', href: `${s.publicUrl()}/${path}/` });
  router.get('/', (ctx) => {
    ctx.body = {
      versions: Object.values(VERSIONS).map(({ path, media: _media, ...v }) => ({ ...v, links: [self(path)] })),
    };
  });
  router.get(['/v2.1', '/v2.1/', '/v2', '/v2/', '/v2.0', '/v2.0/'], (ctx) => {
    const { path, media, ...v } = VERSIONS[isLegacyV2(ctx.state) ? 'v2.0' : 'v2.1'];
    ctx.body = { version: { ...v, links: [self(path), DESCRIBED_BY], 'media-types': [{ base: 'application/json', type: media }] } };
  });
  return router;
}
