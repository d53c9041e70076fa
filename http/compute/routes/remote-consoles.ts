import Router from '@koa/router';
import { consoleAuthToken, createConsole, type ConsoleProtocol } from '../../../services/compute/consoles.js';
import { notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import { createV26, createV28, LEGACY_ACTIONS } from '../schemas/remote-consoles.js';
import { requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

// Consoles (Nova's remote_consoles.py and console_auth_tokens.py): a console URL carrying a new token, by the
// legacy server actions below 2.6 and POST /servers/{id}/remote-consoles from 2.6; an admin's check of a token.

/** The legacy actions (os-getVNCConsole, os-getSPICEConsole, os-getSerialConsole); undefined for any other action. */
export async function legacyConsoleAction(s: ComputeServices, ctx: ComputeContext, name: string, body: unknown): Promise<boolean> {
  const legacy = Object.hasOwn(LEGACY_ACTIONS, name) ? LEGACY_ACTIONS[name] : undefined;
  if (!legacy) return false;
  // Nova serves these below 2.6 only; above, the action is unknown.
  if (ctx.state.version.atLeast('2.6')) throw notFound('The resource could not be found.');
  checkBody(legacy.schema, body);
  const type = (body as Record<string, { type: string }>)[name].type;
  const url = await createConsole(s, ctx.state, ctx.params.id, legacy.protocol, type);
  ctx.body = { console: { type, url } };
  return true;
}

export function remoteConsoleRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.post('/servers/:id/remote-consoles', async (ctx) => {
    if (!ctx.state.version.atLeast('2.6')) throw notFound('The resource could not be found.');
    const body = await requestBody(ctx);
    checkBody(ctx.state.version.atLeast('2.8') ? createV28 : createV26, body);
    const { protocol, type } = (body as { remote_console: { protocol: ConsoleProtocol; type: string } }).remote_console;
    const url = await createConsole(s, ctx.state, ctx.params.id, protocol, type);
    ctx.body = { remote_console: { protocol, type, url } };
  });

  router.get('/os-console-auth-tokens/:token', async (ctx) => {
    ctx.body = { console: await consoleAuthToken(s, ctx.state, ctx.params.token, ctx.state.version.atLeast('2.31')) };
  });

  return router;
}
