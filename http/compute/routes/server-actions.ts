import Router from '@koa/router';
import { ref } from '../../../runtime/ref.js';
import { badRequest, forbidden, NovaFault } from '../errors.js';
import { checkBody, type Schema } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import * as schemas from '../schemas/server-actions.js';
import { findServer, instanceNotFound } from '../server-lookup.js';
import { authorize, permits, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';

// POST /servers/{id}/action: Nova's server actions, one key in the body naming the action.
// Each is checked as Nova's schema for the microversion does, then the server is found (404),
// the policy applied (403), and the instance actor asked (409 when the server's state refuses it).

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One server action: its policy, what it makes of the body's value, and the message it sends the instance. */
interface ServerAction {
  /** The name in Nova's 409 messages ("Cannot 'stop' instance …"). */
  readonly name: string;
  readonly rule: string;
  readonly message: string;
  /** Nova's request schema for the whole body at a version, if the action has one. */
  schema?(v: Microversion): Schema | undefined;
  parse?(value: unknown, v: Microversion): Record<string, unknown>;
}

const power = (name: string, rule: string, message = name): ServerAction => ({ name, rule, message });

export const SERVER_ACTIONS: Readonly<Record<string, ServerAction>> = {
  'os-stop': power('stop', 'os_compute_api:servers:stop'),
  'os-start': power('start', 'os_compute_api:servers:start'),
  reboot: {
    ...power('reboot', 'os_compute_api:servers:reboot'), schema: () => schemas.reboot,
    parse: (value) => ({ type: ((value as { type: string }).type).toUpperCase() }),
  },
  pause: power('pause', 'os_compute_api:os-pause-server:pause'),
  unpause: power('unpause', 'os_compute_api:os-pause-server:unpause'),
  suspend: power('suspend', 'os_compute_api:os-suspend-server:suspend'),
  resume: power('resume', 'os_compute_api:os-suspend-server:resume'),
  lock: {
    ...power('lock', 'os_compute_api:os-lock-server:lock'), schema: schemas.lock,
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



interface Refusal { reason: 'locked' | 'not_ready' | 'invalid_state' | 'locked_by_other'; attr?: string; state?: string | null }

/** The instance actor's refusal in Nova's words: raise_http_conflict_for_instance_invalid_state, or the exception's own text. */
function conflict(action: ServerAction, id: string, error: { message: string; details?: unknown }): NovaFault {
  const refusal = error.details as Refusal | undefined;
  if (!refusal) return instanceNotFound(id);
  // Another side's lock: undoing it takes the override policy, an admin's alone.
  if (refusal.reason === 'locked_by_other') return forbidden('os_compute_api:os-lock-server:unlock:unlock_override');
  if (refusal.reason !== 'invalid_state') return new NovaFault(409, error.message);
  return new NovaFault(409, `Cannot '${action.name}' instance ${id} while it is in ${refusal.attr} ${refusal.state ?? 'None'}`);
}

export function serverActionRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.post('/servers/:id/action', async (ctx) => {
    const [name, value, body] = await actionOf(ctx);
    const action = SERVER_ACTIONS[name];
    if (!action) throw badRequest(`There is no such action: ${name}`);
    const schema = action.schema?.(ctx.state.version);
    if (schema) checkBody(schema, body);
    const input = action.parse?.(value, ctx.state.version) ?? {};
    const id = ctx.params.id;
    const instance = ref('instance', id);
    // A live instance actor answers for its server itself (404 for one the caller may not see): the read is
    // only for a caller the policy refuses (404 before 403) and for a server whose actor is not active.
    const permitted = permits(ctx, 'member');
    // Read, not asked: a request for a server that does not exist never activates an actor.
    if (!permitted || !s.actors.isActive?.(instance)) await findServer(s, ctx, id, { attributes: ['project_id'] });
    authorize(ctx, action.rule, 'member');
    const { auth, project, correlationId } = ctx.state;
    const caller = { request_id: correlationId, user_id: auth.userId, project_id: project, is_admin: auth.isAdmin };
    const apiHost = name === 'lock' || name === 'unlock' ? { api_host: s.nodeId } : {};
    try {
      // Answered once the new task_state, the instance action and the host's order are committed together.
      await s.actors.ask(instance, action.message, { ...caller, ...input, ...apiHost }, { correlationId, commitOnly: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'rejected') throw conflict(action, id, error as Error & { details?: unknown });
      throw error;
    }
    // Empty, as Nova answers (Koa would otherwise write the status text); the status after, as null means 204 to Koa.
    ctx.body = null;
    ctx.status = 202;
  });

  return router;
}
