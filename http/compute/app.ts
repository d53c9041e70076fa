import { networkProxyRoutes } from './routes/network-proxies.js';
import { serverNetworkRoutes } from './routes/server-networks.js';
import Koa, { type Middleware } from 'koa';
import Router from '@koa/router';
import { legacyV2 } from './legacy-v2.js';
import { miscRoutes } from './routes/misc.js';
import type { Logger } from 'pino';
import { correlation } from '../correlation.js';
import { NUL_IN_QUERY, nulIn } from '../nul.js';
import { badRequest, NovaFault, novaFaultBody, novaFaults } from './errors.js';
import { answerMalformedWith } from '../listen.js';
import { permits } from '../../services/identity/index.js';
import { unknownMethodNotAllowed } from '../methods.js';
import { microversion } from './microversion.js';
import { flavorRoutes } from './routes/flavors.js';
import { flavorAccessRoutes } from './routes/flavor-access.js';
import { flavorExtraSpecRoutes } from './routes/flavor-extra-specs.js';
import { keypairRoutes } from './routes/keypairs.js';
import { usageRoutes } from './routes/usage.js';
import { hypervisorRoutes } from './routes/hypervisors.js';
import { limitRoutes } from './routes/limits.js';
import { availabilityZoneRoutes } from './routes/availability-zones.js';
import { aggregateRoutes } from './routes/aggregates.js';
import { serverGroupRoutes } from './routes/server-groups.js';
import { serverRoutes } from './routes/servers.js';
import { serverActionRoutes } from './routes/server-actions.js';
import { remoteConsoleRoutes } from './routes/remote-consoles.js';
import { migrationRoutes } from './routes/migrations.js';
import { instanceActionRoutes } from './routes/instance-actions.js';
import { serverMetadataRoutes } from './routes/server-metadata.js';
import { serverTagRoutes } from './routes/server-tags.js';
import { imageRoutes } from './routes/images.js';
import { serviceRoutes } from './routes/services.js';
import { versionRoutes } from './routes/versions.js';
import { quotaSetRoutes } from './routes/quota-sets.js';
import { quotaClassSetRoutes } from './routes/quota-class-sets.js';
import type { ComputeServices, ComputeState } from './services.js';

const projectInPath = /^\/v2\.1\/([0-9a-f]{32})(\/.*)?$/;

/**
 * The Compute API v2.1 on the boot path: versions, flavors, servers, hypervisors, services, limits.
 * `outer` runs outside Nova's fault handling (a test harness's response check); production passes none.
 */
export function computeApp(s: ComputeServices, logger: Logger, outer: ReadonlyArray<Middleware<ComputeState>> = []): Koa<ComputeState> {
  const app = new Koa<ComputeState>();
  answerMalformedWith(app, novaFaultBody);
  app.use(correlation(logger));
  app.use(async (ctx, next) => {
    ctx.set('x-compute-request-id', ctx.state.correlationId);
    await next();
  });
  for (const middleware of outer) app.use(middleware);
  app.use(novaFaults);
  app.use(legacyV2);
  app.use(microversion);
  const versions = versionRoutes(s);
  app.use(versions.routes());
  app.use(async (ctx, next) => {
    if (ctx.path === '/' || ctx.path === '/v2.1' || ctx.path === '/v2.1/') return;
    if (!ctx.path.startsWith('/v2.1/')) throw new NovaFault(404, 'The resource could not be found.');
    const auth = await s.identity.authenticate(ctx.get('x-auth-token'));
    // An application credential's access rules are checked as keystonemiddleware checks them: outside them, 401.
    if (!permits(auth.accessRules, 'compute', ctx.method, ctx.path)) throw new NovaFault(401, 'The request you have made requires authentication.');
    if (!auth.projectId) throw new NovaFault(403, 'A project-scoped token is required.');
    // Older catalogs put the project in the URL (…/v2.1/<project_id>/servers); it must be the token's.
    const scoped = projectInPath.exec(ctx.path);
    if (scoped) {
      if (scoped[1] !== auth.projectId && !auth.isAdmin) {
        throw badRequest(`Malformed request URL: URL's project_id '${scoped[1]}' doesn't match Context's project_id '${auth.projectId}'`);
      }
      ctx.path = `/v2.1${scoped[2] ?? '/'}`;
    }
    ctx.state.auth = auth;
    ctx.state.project = auth.projectId;
    const nul = nulIn(ctx);
    if (nul === 'path') throw new NovaFault(404, 'The resource could not be found.');
    if (nul === 'query') throw badRequest(NUL_IN_QUERY);
    await next();
  });
  const api = new Router<ComputeState>({ prefix: '/v2.1' });
  for (const routes of [flavorRoutes, serverRoutes, hypervisorRoutes, serviceRoutes, limitRoutes, availabilityZoneRoutes])
    api.use(routes(s).routes());
  api.use(aggregateRoutes(s).routes());
  for (const routes of [quotaSetRoutes, quotaClassSetRoutes]) api.use(routes(s).routes());
  api.use(serverGroupRoutes(s).routes());
  for (const routes of [flavorExtraSpecRoutes, flavorAccessRoutes, keypairRoutes, usageRoutes]) api.use(routes(s).routes());
  for (const routes of [serverActionRoutes, instanceActionRoutes, remoteConsoleRoutes]) api.use(routes(s).routes());
  api.use(migrationRoutes(s).routes());
  api.use(serverNetworkRoutes(s).routes());
  api.use(networkProxyRoutes(s).routes());
  for (const routes of [serverMetadataRoutes, serverTagRoutes, imageRoutes]) api.use(routes(s).routes());
  for (const routes of miscRoutes) api.use(routes(s).routes());
  app.use(unknownMethodNotAllowed);
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}
