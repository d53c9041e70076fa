import Router from '@koa/router';
import { EXTENSION_ROWS } from '../extension-list.js';
import { isLegacyV2 } from '../legacy-v2.js';
import { notFound } from '../errors.js';
import type { ComputeServices, ComputeState } from '../services.js';

// GET /extensions[/{alias}]: the fixed table Nova 26 still answers with (extension_info.py), open to
// any authenticated caller; through the legacy v2 endpoint with the one extension v2 also listed.

const extension = ([alias, name, description]: readonly [string, string, string]) => ({
  alias,
  description,
  links: [],
  name,
  namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  updated: '2014-12-03T00:00:00Z',
});

const V21 = EXTENSION_ROWS.map(extension);
// Nova's v2-compatible list adds ExtendedVIFNet and sorts by alias as Python does (code points).
const LEGACY_V2 = [...V21, extension(['OS-EXT-VIF-NET', 'ExtendedVIFNet', 'Adds network id parameter to the virtual interface list.'])].sort(
  (a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0),
);

export function extensionRoutes(_s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/extensions', (ctx) => {
    ctx.body = { extensions: isLegacyV2(ctx.state) ? LEGACY_V2 : V21 };
  });
  router.get('/extensions/:alias', (ctx) => {
    const found = (isLegacyV2(ctx.state) ? LEGACY_V2 : V21).find((e) => e.alias === ctx.params.alias);
    if (!found) throw notFound('The resource could not be found.');
    ctx.body = { extension: found };
  });
  return router;
}
