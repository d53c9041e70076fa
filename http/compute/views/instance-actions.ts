import { createHash } from 'node:crypto';
import type { InstanceActionEventRow, InstanceActionRow } from '../../../models/index.js';
import type { Microversion } from '../microversion.js';
import { isoMicros } from '../services.js';

// Nova's instance actions views (nova/api/openstack/compute/instance_actions.py).

/**
 * A naive datetime as Python's isoformat writes it, which is how Nova answers these times:
 * microseconds, and no fraction at all when they are zero.
 */
export const pythonTime = (d: Date | string | null | undefined) => {
  const text = isoMicros(d);
  return text && text.endsWith('.000000') ? text.slice(0, -7) : text;
};

// nova.utils.generate_hostid: the same for one project on one host, empty without a host.
const hostIdOf = (host: string | null, projectId: string) =>
  host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';

export function actionView(a: InstanceActionRow, v: Microversion) {
  return {
    action: a.action,
    instance_uuid: a.instance_uuid,
    request_id: a.request_id,
    user_id: a.user_id,
    project_id: a.project_id,
    start_time: pythonTime(a.start_time),
    message: a.message,
    ...(v.atLeast('2.58') ? { updated_at: pythonTime(a.updated_at) } : {}),
  };
}

export interface EventVisibility {
  readonly traceback: boolean;
  readonly host: boolean;
  readonly hostId: boolean;
  readonly details: boolean;
}

/**
 * Who sees what of an event, by Nova's default policies: admins all of it (the host from 2.62,
 * details from 2.84), others the steps only from 2.51 and never the traceback; the hashed hostId
 * from 2.62 for everyone. Undefined: no events shown.
 */
export function eventVisibility(isAdmin: boolean, v: Microversion): EventVisibility | undefined {
  if (!isAdmin && !v.atLeast('2.51')) return undefined;
  return { traceback: isAdmin, host: isAdmin && v.atLeast('2.62'), hostId: v.atLeast('2.62'), details: isAdmin && v.atLeast('2.84') };
}

export function eventView(e: InstanceActionEventRow, projectId: string, show: EventVisibility) {
  return {
    event: e.event,
    start_time: pythonTime(e.start_time),
    finish_time: pythonTime(e.finish_time),
    result: e.result,
    ...(show.traceback ? { traceback: e.traceback } : {}),
    ...(show.host ? { host: e.host } : {}),
    ...(show.hostId ? { hostId: hostIdOf(e.host, projectId) } : {}),
    ...(show.details ? { details: e.details } : {}),
  };
}
