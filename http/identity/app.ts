import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { correlation } from '../correlation.js';
import { NUL_IN_QUERY, nulIn } from '../nul.js';
import { KeystoneError, keystoneErrorBody, keystoneErrors } from './errors.js';
import { answerMalformedWith } from '../listen.js';
import { unknownMethodNotAllowed } from '../methods.js';
import { applicationCredentialRoutes } from './routes/application-credentials.js';
import { assignmentRoutes } from './routes/assignments.js';
import { catalogRoutes } from './routes/catalog.js';
import { credentialRoutes } from './routes/credentials.js';
import { domainConfigRoutes } from './routes/domain-config.js';
import { domainRoutes } from './routes/domains.js';
import { limitRoutes } from './routes/limits.js';
import { groupRoutes } from './routes/groups.js';
import { projectRoutes } from './routes/projects.js';
import { roleRoutes } from './routes/roles.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { versionRoutes } from './routes/versions.js';
import type { IdentityServices, IdentityState } from './services.js';

/** The Keystone v3 subset OpenStack clients use. */
export function identityApp(services: IdentityServices, logger: Logger): Koa<IdentityState> {
  const app = new Koa<IdentityState>();
  answerMalformedWith(app, keystoneErrorBody);
  app.use(correlation(logger));
  app.use(keystoneErrors(services.v3Url));
  app.use(async (ctx, next) => {
    const nul = nulIn(ctx);
    if (nul === 'path') throw new KeystoneError(404, 'The resource could not be found.');
    if (nul === 'query') throw new KeystoneError(400, NUL_IN_QUERY);
    await next();
  });
  // One router holding every route: a request is matched once, not once per resource.
  const root = new Router<IdentityState>();
  for (const routes of [
    versionRoutes,
    tokenRoutes,
    domainRoutes,
    projectRoutes,
    userRoutes,
    roleRoutes,
    assignmentRoutes,
    credentialRoutes,
    catalogRoutes,
    groupRoutes,
    applicationCredentialRoutes,
    limitRoutes,
    domainConfigRoutes,
  ]) {
    root.use(routes(services).routes());
  }
  app.use(unknownMethodNotAllowed);
  app.use(root.routes()).use(root.allowedMethods());
  return app;
}
