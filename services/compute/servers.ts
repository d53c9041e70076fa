import type { instanceProtocol } from '../../actors/instance/protocol.js';
import type { InstanceRow } from '../../models/index.js';
import { isSimulated } from '../../models/host.js';
import { readRow } from '../../models/typed.js';
import type { PayloadOf } from '../../runtime/protocol.js';
import { computeActors } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { ComputeFault, forbidden, notFound } from './errors.js';
import { authorize, permits, type ComputeCaller } from './policy.js';
import { softDelete } from './soft-delete.js';

// The compute service's rules for existing servers (Nova's compute/api.py): who sees one, who may
// update, delete or act on one, and how the instance's refusals read.

export const instanceNotFound = (id: string) => notFound(`Instance ${id} could not be found.`);

/**
 * The server if the caller's project owns it (admins: any), not deleted unless `deleted` says so;
 * else Nova's 404. `attributes` reads only those columns (`project_id` among them).
 */
export async function findServer(
  d: Pick<ComputeDeps, 'models'>,
  caller: ComputeCaller,
  id: string,
  options: { attributes?: Array<keyof InstanceRow>; deleted?: boolean } = {},
): Promise<InstanceRow> {
  const where = options.deleted ? { uuid: id } : { uuid: id, deleted_at: null };
  const row = await readRow(d.models.Instance, { where, attributes: options.attributes });
  if (!row || (!caller.auth.isAdmin && row.project_id !== caller.project)) throw instanceNotFound(id);
  return row;
}

/**
 * A real hypervisor's guest cannot have its disks copied or moved yet: the actions that would are refused on its host
 * (Nova's 409, as for what a driver does not support) with the caller's words; a later issue does them there.
 */
export async function refuseOnRealHost(d: Pick<ComputeDeps, 'models'>, row: InstanceRow, message: () => string): Promise<void> {
  if (!row.host) return;
  const host = await readRow(d.models.Host, { where: { name: row.host }, attributes: ['libvirt_uri'] });
  if (host && !isSimulated(host)) throw new ComputeFault(409, message());
}

/**
 * The instance actor's refusal as the compute service's fault: one carrying a status is that
 * status and message (a locked server's 409, a full metadata set's 403); a missing or deleted
 * instance is Nova's 404. Anything else is not a refusal and is answered as it is.
 */
export function instanceRefusal(error: unknown, id: string): unknown {
  const e = error as { code?: string; message?: string; details?: { status?: number } };
  if (e.code === 'rejected' && e.details?.status) return new ComputeFault(e.details.status, e.message ?? '');
  if (e.code === 'rejected') return instanceNotFound(id);
  return error;
}

/** PUT /servers/{id}: the policy, then the instance's update (only the fields given change); answers the new row. */
export async function updateServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  changes: PayloadOf<typeof instanceProtocol.spec, 'update'>,
): Promise<InstanceRow> {
  const row = await findServer(d, caller, id);
  authorize(caller, 'os_compute_api:servers:update', 'member');
  if (!Object.keys(changes).length) return row;
  try {
    return await computeActors(d.actors).instance(row.uuid).update(changes, { correlationId: caller.correlationId });
  } catch (error) {
    throw instanceRefusal(error, id);
  }
}

/** Nova's delete: the policy, the lock (admins pass), then the instance's own delete. */
export async function deleteServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const row = await findServer(d, caller, id);
  authorize(caller, 'os_compute_api:servers:delete', 'member');
  if (row.locked && !caller.auth.isAdmin) throw new ComputeFault(409, `Instance ${row.uuid} is locked`);
  // Under a reclaim interval a server that ever launched and that a host holds is soft-deleted (Nova deletes one that
  // never launched, or that no host holds, at once); shelved ones too are deleted at once, with their shelved image.
  if (d.reclaimInstanceMs && row.launched_at && row.host && !row.vm_state.startsWith('shelved'))
    return softDelete(d, caller, row.uuid, d.reclaimInstanceMs);
  try {
    await computeActors(d.actors)
      .instance(row.uuid)
      .delete({ request_id: caller.correlationId, user_id: caller.auth.userId, project_id: caller.project }, { correlationId: caller.correlationId });
  } catch (error) {
    throw instanceRefusal(error, id);
  }
  // Nova's _delete: a shelved server's snapshot goes with it.
  if (row.shelved_image_id && row.vm_state.startsWith('shelved')) await d.images.deleteServerImage(row.shelved_image_id).catch(() => {});
}

/** A power action or lock: its name in Nova's 409 texts, its policy rule, the instance message that carries it out. */
export interface PowerAction {
  readonly name: string;
  readonly rule: string;
  readonly message: 'stop' | 'start' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'lock' | 'unlock';
}

interface Refusal {
  reason: 'locked' | 'not_ready' | 'invalid_state' | 'locked_by_other';
  attr?: string;
  state?: string | null;
}

/** The instance actor's refusal in Nova's words: raise_http_conflict_for_instance_invalid_state, or the exception's own text. */
function conflict(action: PowerAction, id: string, error: { message: string; details?: unknown }): ComputeFault {
  const refusal = error.details as Refusal | undefined;
  if (!refusal) return instanceNotFound(id);
  // Another side's lock: undoing it takes the override policy, an admin's alone.
  if (refusal.reason === 'locked_by_other') return forbidden('os_compute_api:os-lock-server:unlock:unlock_override');
  if (refusal.reason !== 'invalid_state') return new ComputeFault(409, error.message);
  return new ComputeFault(409, `Cannot '${action.name}' instance ${id} while it is in ${refusal.attr} ${refusal.state ?? 'None'}`);
}

/**
 * A server action as Nova runs it: the server found (404), the policy (403), then the instance,
 * which checks the lock and the states Nova allows (409) and answers once the new task state, the
 * instance action and the host's order are committed together.
 */
export async function powerAction(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  action: PowerAction,
  input: { type?: 'SOFT' | 'HARD'; reason?: string; api_host?: string },
): Promise<void> {
  const instance = computeActors(d.actors).instance(id);
  // A live instance actor answers for its server itself (404 for one the caller may not see): the read is
  // only for a caller the policy refuses (404 before 403) and for a server whose actor is not active.
  // Read, not asked: a request for a server that does not exist never activates an actor.
  if (!permits(caller, 'member') || !instance.isActive()) await findServer(d, caller, id, { attributes: ['project_id'] });
  authorize(caller, action.rule, 'member');
  const { auth, project, correlationId } = caller;
  const from = { request_id: correlationId, user_id: auth.userId, project_id: project, is_admin: auth.isAdmin };
  const options = { correlationId, commitOnly: true };
  try {
    switch (action.message) {
      case 'reboot':
        await instance.reboot({ ...from, type: input.type ?? 'SOFT' }, options);
        break;
      case 'lock':
        await instance.lock(
          { ...from, ...(input.reason ? { reason: input.reason } : {}), ...(input.api_host ? { api_host: input.api_host } : {}) },
          options,
        );
        break;
      case 'unlock':
        await instance.unlock({ ...from, ...(input.api_host ? { api_host: input.api_host } : {}) }, options);
        break;
      default:
        await instance[action.message](from, options);
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'rejected') throw conflict(action, id, error as Error & { details?: unknown });
    throw error;
  }
}
