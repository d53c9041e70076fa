import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { correlation } from '../correlation.js';
import { NUL_IN_QUERY, nulIn } from '../nul.js';
import { GlanceError, glanceErrorBody, glanceErrors } from './errors.js';
import { answerMalformedWith } from '../listen.js';
import { unknownMethodNotAllowed } from '../methods.js';
import { dataRoutes } from './routes/data.js';
import { imageRoutes } from './routes/images.js';
import { importRoutes } from './routes/import.js';
import { taskRoutes } from './routes/tasks.js';
import { metadefRoutes } from './routes/metadefs.js';
import { memberRoutes } from './routes/members.js';
import { schemaRoutes } from './routes/schemas.js';
import { versionRoutes } from './routes/versions.js';
import type { ImageServices, ImageState } from './services.js';

/** The Glance v2 subset OpenStack clients use. */
export function imageApp(services: ImageServices, logger: Logger): Koa<ImageState> {
  const app = new Koa<ImageState>();
  answerMalformedWith(app, glanceErrorBody);
  app.use(correlation(logger));
  app.use(glanceErrors);
  app.use(async (ctx, next) => {
    const nul = nulIn(ctx);
    if (nul === 'path') throw new GlanceError(404, 'The resource could not be found.');
    if (nul === 'query') throw new GlanceError(400, NUL_IN_QUERY);
    await next();
  });
  const root = new Router<ImageState>();
  for (const routes of [versionRoutes, schemaRoutes, dataRoutes, importRoutes, taskRoutes, metadefRoutes, memberRoutes, imageRoutes])
    root.use(routes(services).routes());
  app.use(unknownMethodNotAllowed);
  app.use(root.routes()).use(root.allowedMethods());
  return app;
}
