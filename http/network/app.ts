import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { correlation } from '../correlation.js';
import { answerMalformedWith } from '../listen.js';
import { unknownMethodNotAllowed } from '../methods.js';
import { NUL_IN_QUERY, nulIn } from '../nul.js';
import { bulkCreates } from './bulk.js';
import { httpError, neutronErrors, neutronFaultBody } from './errors.js';
import { agentRoutes } from './routes/agents.js';
import { autoAllocatedTopologyRoutes } from './routes/auto-allocated-topology.js';
import { extensionRoutes } from './routes/extensions.js';
import { networkRoutes } from './routes/networks.js';
import { floatingIpRoutes } from './routes/floating-ips.js';
import { ipAvailabilityRoutes } from './routes/ip-availabilities.js';
import { portRoutes } from './routes/ports.js';
import { routerRoutes } from './routes/routers.js';
import { quotaRoutes } from './routes/quotas.js';
import { securityGroupRuleRoutes } from './routes/security-group-rules.js';
import { securityGroupRoutes } from './routes/security-groups.js';
import { subnetRoutes } from './routes/subnets.js';
import { versionRoutes } from './routes/versions.js';
import type { NetworkServices, NetworkState } from './services.js';

/** The Networking API v2.0 (Neutron) subset OpenStack clients use. */
export function networkApp(services: NetworkServices, logger: Logger): Koa<NetworkState> {
  const app = new Koa<NetworkState>();
  answerMalformedWith(app, neutronFaultBody);
  app.use(correlation(logger));
  app.use(neutronErrors);
  app.use(async (ctx, next) => {
    const nul = nulIn(ctx);
    if (nul === 'path') throw httpError(404, 'The resource could not be found.');
    if (nul === 'query') throw httpError(400, NUL_IN_QUERY);
    // Neutron takes a `.json` format suffix on any resource path (`/v2.0/quotas/{id}/details.json`).
    if (ctx.path.endsWith('.json')) ctx.path = ctx.path.slice(0, -'.json'.length);
    await next();
  });
  const root = new Router<NetworkState>();
  for (const routes of [
    versionRoutes,
    extensionRoutes,
    networkRoutes,
    subnetRoutes,
    portRoutes,
    securityGroupRoutes,
    securityGroupRuleRoutes,
    quotaRoutes,
    routerRoutes,
    floatingIpRoutes,
    ipAvailabilityRoutes,
    agentRoutes,
    autoAllocatedTopologyRoutes,
  ])
    root.use(routes(services).routes());
  app.use(unknownMethodNotAllowed);
  const routes = root.routes();
  app.use(bulkCreates(services, routes));
  app.use(routes).use(root.allowedMethods());
  return app;
}
