import { createHash } from 'node:crypto';
import type { HandlerContext } from '../../runtime/kind.js';
import type { InstanceRow } from '../../models/instance.js';

// A server's instance actions and their events (Nova's instance_actions, instance_actions_events),
// recorded in the same commit as the state change they describe. Ids are digests of what identifies
// them, so a message handled again writes the same rows, and a report can finish what an order began.

export const ACTION_MODELS = ['InstanceAction', 'InstanceActionEvent'] as const;

// The events of a boot and a delete, by the Nova service that would record them.
export const BUILD_EVENT = 'compute__do_build_and_run_instance';
export const SCHEDULE_EVENT = 'conductor_schedule_and_build_instances';
export const TERMINATE_EVENT = 'compute_terminate_instance';

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);

/** A server has one create and one delete; other actions are one per request. */
export const actionId = (uuid: string, action: string, requestId = '') =>
  digest(uuid, action, action === 'create' || action === 'delete' ? '' : requestId);

const eventId = (action: string, event: string) => digest(action, event);

/** Who asked, from the API: the request, the caller and whether it holds the admin role. */
export interface Caller {
  readonly request_id: string;
  readonly user_id: string;
  readonly project_id: string;
  readonly is_admin?: boolean;
}

/**
 * When a change to `s` happens: now, or a millisecond after its last change, so that a server's
 * updated_at never goes back and its actions keep their order when two fall in one millisecond.
 */
export const stampOf = (s: InstanceRow | null, now: number) => (s ? Math.max(now, new Date(s.updated_at).getTime() + 1) : now);

export interface Failure {
  readonly message: string;
  readonly traceback?: string;
}

export class ActionLog {
  constructor(
    private readonly ctx: HandlerContext,
    private readonly uuid: string,
  ) {}

  /** Records the start of an action; answers its id. */
  start(action: string, caller: Caller, at: number): string {
    const id = actionId(this.uuid, action, caller.request_id);
    const when = new Date(at);
    this.ctx.record('InstanceAction', {
      id,
      action,
      instance_uuid: this.uuid,
      request_id: caller.request_id,
      user_id: caller.user_id,
      project_id: caller.project_id,
      start_time: when,
      finish_time: null,
      message: null,
      created_at: when,
      updated_at: when,
    });
    return id;
  }

  /** An event begun by `host`; it runs until `finish`. Beginning it again (a retry elsewhere) starts it over. */
  begin(action: string, event: string, host: string | null, at: number): void {
    const when = new Date(at);
    this.ctx.record('InstanceActionEvent', {
      id: eventId(action, event),
      action_id: action,
      event,
      start_time: when,
      finish_time: null,
      result: null,
      traceback: null,
      host,
      details: null,
      created_at: when,
      updated_at: when,
    });
    this.ctx.record('InstanceAction', { id: action, updated_at: when });
  }

  /** Finishes an event: Success, or Error with its details, which marks its action 'Error' as Nova does. */
  finish(action: string, event: string, at: number, failure?: Failure): void {
    const when = new Date(at);
    this.ctx.record('InstanceActionEvent', {
      id: eventId(action, event),
      action_id: action,
      event,
      finish_time: when,
      result: failure ? 'Error' : 'Success',
      traceback: failure ? (failure.traceback ?? failure.message) : null,
      details: failure?.message ?? null,
      updated_at: when,
    });
    this.ctx.record('InstanceAction', { id: action, updated_at: when, ...(failure ? { message: 'Error' } : {}) });
  }

  /** An event that begins and ends at once (the API's own steps: api_lock, api_unlock). */
  instant(action: string, event: string, host: string | null, at: number, failure?: Failure): void {
    this.begin(action, event, host, at);
    this.finish(action, event, at, failure);
  }
}
