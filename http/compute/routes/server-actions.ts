import Router from '@koa/router';
import { ADMIN_ACTIONS } from './admin-actions.js';
import { findServer, powerAction, type PowerAction } from '../../../services/compute/servers.js';
import { consoleOutput } from '../../../services/compute/console-output.js';
import { MOVE_ACTIONS } from './move-actions.js';
import { legacyConsoleAction } from './remote-consoles.js';
import { changeSecurityGroup } from '../../../services/compute/server-networks.js';
import { addFloatingIp, removeFloatingIp } from '../../../services/compute/network-proxy-writes.js';
import { badRequest, notFound } from '../errors.js';
import { checkBody, type Schema } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import * as schemas from '../schemas/server-actions.js';
import { IMAGE_ACTIONS } from './image-actions.js';
import { requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

// POST /servers/{id}/action: Nova's server actions, one key in the body naming the action.
// Each is checked as Nova's schema for the microversion does; the compute service then finds the
// server (404), applies the policy (403) and asks the instance actor (409 when its state refuses it).

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One server action: the compute service's action (its policy and instance message), and what the API makes of the body's value. */
interface ServerAction extends PowerAction {
  /** Nova's request schema for the whole body at a version, if the action has one. */
  schema?(v: Microversion): Schema | undefined;
  parse?(value: unknown, v: Microversion): { type?: 'SOFT' | 'HARD'; reason?: string };
}

const power = (name: PowerAction['message'], rule: string): ServerAction => ({ name, rule, message: name });

export const SERVER_ACTIONS: Readonly<Record<string, ServerAction>> = {
  'os-stop': power('stop', 'os_compute_api:servers:stop'),
  'os-start': power('start', 'os_compute_api:servers:start'),
  reboot: {
    ...power('reboot', 'os_compute_api:servers:reboot'),
    schema: () => schemas.reboot,
    parse: (value) => ({ type: (value as { type: string }).type.toUpperCase() as 'SOFT' | 'HARD' }),
  },
  pause: power('pause', 'os_compute_api:os-pause-server:pause'),
  unpause: power('unpause', 'os_compute_api:os-pause-server:unpause'),
  suspend: power('suspend', 'os_compute_api:os-suspend-server:suspend'),
  resume: power('resume', 'os_compute_api:os-suspend-server:resume'),
  lock: {
    ...power('lock', 'os_compute_api:os-lock-server:lock'),
    schema: schemas.lock,
    // Before 2.73 the body is not looked at, a reason in it included.
    parse: (value, v) => {
      const reason = v.atLeast('2.73') ? (value as { locked_reason?: string } | null)?.locked_reason : undefined;
      return reason ? { reason } : {};
    },
  },
  unlock: power('unlock', 'os_compute_api:os-lock-server:unlock'),
};

/** The body as Nova's action_peek reads it: a JSON object with exactly one key. */
async function actionOf(ctx: ComputeContext): Promise<[string, unknown, Record<string, unknown>]> {
  const body = await requestBody(ctx);
  if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
  const [name] = Object.keys(body);
  return [name, body[name], body];
}

export function serverActionRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.post('/servers/:id/action', async (ctx) => {
    const [name, value, body] = await actionOf(ctx);
    const admin = Object.hasOwn(ADMIN_ACTIONS, name) ? ADMIN_ACTIONS[name] : undefined;
    if (admin) {
      await admin(s, ctx, body);
      ctx.body = null;
      ctx.status = 202;
      return;
    }
    if (name === 'os-getConsoleOutput') {
      checkBody(schemas.consoleOutput, body);
      const length = (value as { length?: number | string | null }).length;
      // Nova takes the number as given (a string of digits too); null, like none, means all of it.
      const lines = length === null || length === undefined ? undefined : Number(length);
      ctx.body = { output: await consoleOutput(s, ctx.state, ctx.params.id, lines) };
      return;
    }
    if (await legacyConsoleAction(s, ctx, name, body)) return;
    if (name === 'addSecurityGroup' || name === 'removeSecurityGroup') {
      // Nova's _parse, without a schema.
      if (!isObject(value)) throw badRequest('Missing parameter dict');
      if (!('name' in value)) throw badRequest('Security group not specified');
      const group = value.name;
      if (typeof group !== 'string' || !group.trim()) throw badRequest('Security group name cannot be empty');
      await changeSecurityGroup(s, ctx.state, ctx.params.id, group, name === 'addSecurityGroup');
      ctx.body = null;
      ctx.status = 202;
      return;
    }
    // Nova's floating IP actions, removed in 2.44 (then no such action).
    if (name === 'addFloatingIp' || name === 'removeFloatingIp') {
      if (ctx.state.version.atLeast('2.44')) throw notFound('The resource could not be found.');
      if (!isObject(value))
        throw badRequest(
          `Invalid input for field/attribute ${name}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not of type 'object'`,
        );
      await findServer(s, ctx.state, ctx.params.id, { attributes: ['uuid', 'project_id'] });
      await (name === 'addFloatingIp' ? addFloatingIp : removeFloatingIp)(s, ctx.state, ctx.get('x-auth-token'), ctx.params.id, value);
      ctx.body = null;
      ctx.status = 202;
      return;
    }
    // Moving servers: resize, migrate, os-migrateLive (move-actions.ts).
    if (Object.hasOwn(MOVE_ACTIONS, name)) {
      const answer = await MOVE_ACTIONS[name](s, ctx, value, body);
      ctx.body = answer.body ?? null;
      ctx.status = answer.status;
      return;
    }
    // Own keys only: `toString` or `__proto__` name no action.
    if (Object.hasOwn(IMAGE_ACTIONS, name)) return IMAGE_ACTIONS[name](s, ctx, value, body);
    const action = Object.hasOwn(SERVER_ACTIONS, name) ? SERVER_ACTIONS[name] : undefined;
    if (!action) throw badRequest(`There is no such action: ${name}`);
    const schema = action.schema?.(ctx.state.version);
    if (schema) checkBody(schema, body);
    const input = action.parse?.(value, ctx.state.version) ?? {};
    const apiHost = name === 'lock' || name === 'unlock' ? { api_host: s.nodeId } : {};
    await powerAction(s, ctx.state, ctx.params.id, action, { ...input, ...apiHost });
    // Empty, as Nova answers (Koa would otherwise write the status text); the status after, as null means 204 to Koa.
    ctx.body = null;
    ctx.status = 202;
  });

  return router;
}
