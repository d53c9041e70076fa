import type { Middleware } from 'koa';
import type { ComputeState } from './services.js';

// Nova serves its legacy v2 API from the v2.1 code (LegacyV2CompatibleWrapper): the same routes under
// /v2 (and /v2.0, the id its version document carries), microversion headers ignored in the request
// and left out of the answer, so every request is 2.1.

const VERSION_HEADERS = ['openstack-api-version', 'x-openstack-nova-api-version'];
const LEGACY = /^\/v2(?:\.0)?(\/.*)?$/;

/** Whether the request came in through the legacy v2 endpoint (set by `legacyV2`). */
export const isLegacyV2 = (state: Partial<ComputeState>): boolean => (state as { legacyV2?: boolean }).legacyV2 === true;

export const legacyV2: Middleware<ComputeState> = async (ctx, next) => {
  const match = LEGACY.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  (ctx.state as { legacyV2?: boolean }).legacyV2 = true;
  for (const header of VERSION_HEADERS) delete ctx.request.headers[header];
  // The version document stays where it is (the versions routes answer /v2 themselves); the API moves to /v2.1.
  const rest = match[1];
  if (rest && rest !== '/') ctx.path = `/v2.1${rest}`;
  try {
    await next();
  } finally {
    ctx.remove('OpenStack-API-Version');
    ctx.remove('X-OpenStack-Nova-API-Version');
    ctx.remove('Vary');
  }
};
