import type { GuestDiagnostics } from '../../actors/host/admin.js';
import type { InstanceRow } from '../../models/index.js';
import { computeActors } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { ComputeFault } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';
import { findServer, instanceNotFound } from './servers.js';

// The small server actions of issue 18 as Nova's compute API runs them: os-resetState, injectNetworkInfo,
// changePassword and trigger_crash_dump, and a server's diagnostics. Each finds the server (404), applies
// Nova's default policy (403), then asks the instance, whose refusals read as Nova's 409s.

const callerOf = (caller: ComputeCaller) => ({
  request_id: caller.correlationId,
  user_id: caller.auth.userId,
  project_id: caller.project,
  is_admin: caller.auth.isAdmin,
});

/** The instance's refusal in Nova's words: InstanceInvalidState as raise_http_conflict_for_instance_invalid_state words it. */
function conflict(error: unknown, action: string, id: string): unknown {
  const e = error as { code?: string; message?: string; details?: { status?: number; attr?: string; state?: string | null } };
  if (e.code !== 'rejected') return error;
  const d = e.details;
  if (!d?.status) return instanceNotFound(id);
  if (d.attr) return new ComputeFault(409, `Cannot '${action}' instance ${id} while it is in ${d.attr} ${d.state ?? 'None'}`);
  return new ComputeFault(d.status, e.message ?? '');
}

async function ask<T>(action: string, id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw conflict(error, action, id);
  }
}

/** os-resetState (admin): the vm_state asked for, the task state cleared; no lock or state check, as in Nova. */
export async function resetState(d: ComputeDeps, caller: ComputeCaller, id: string, state: 'active' | 'error'): Promise<void> {
  await findServer(d, caller, id, { attributes: ['project_id'] });
  authorize(caller, 'os_compute_api:os-admin-actions:reset_state', 'admin');
  await ask('os-resetState', id, () =>
    computeActors(d.actors)
      .instance(id)
      .resetState({ ...callerOf(caller), state }, { correlationId: caller.correlationId, commitOnly: true }),
  );
}

/**
 * injectNetworkInfo (admin): Nova checks the lock and casts to the host, whose libvirt driver does nothing with it
 * (ComputeDriver.inject_network_info); no instance action is recorded.
 */
export async function injectNetworkInfo(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const row = await findServer(d, caller, id, { attributes: ['uuid', 'project_id', 'locked'] });
  authorize(caller, 'os_compute_api:os-admin-actions:inject_network_info', 'admin');
  if (row.locked && !caller.auth.isAdmin) throw new ComputeFault(409, `Instance ${row.uuid} is locked`);
}

/**
 * changePassword: accepted by the API's checks, then refused as Nova's libvirt driver refuses a guest without the
 * QEMU guest agent (409 "QEMU guest agent is not enabled"), the instance action and its event recorded.
 */
export async function changePassword(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  await findServer(d, caller, id, { attributes: ['project_id'] });
  authorize(caller, 'os_compute_api:os-admin-password', 'member');
  const answer = await ask('changePassword', id, () =>
    computeActors(d.actors).instance(id).changePassword(callerOf(caller), { correlationId: caller.correlationId, commitOnly: true }),
  );
  if (answer.refused) throw new ComputeFault(answer.refused.status, answer.refused.message);
}

/** trigger_crash_dump (2.17): the host injects an NMI; its result is the event's. */
export async function triggerCrashDump(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  await findServer(d, caller, id, { attributes: ['project_id'] });
  authorize(caller, 'os_compute_api:servers:trigger_crash_dump', 'member');
  await ask('trigger_crash_dump', id, () =>
    computeActors(d.actors).instance(id).crashDump(callerOf(caller), { correlationId: caller.correlationId, commitOnly: true }),
  );
}

/** restore (os-deferred-delete): a SOFT_DELETED server powered on again and ACTIVE. */
export async function restoreServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  await findServer(d, caller, id, { attributes: ['project_id'] });
  authorize(caller, 'os_compute_api:os-deferred-delete:restore', 'member');
  await ask('restore', id, () =>
    computeActors(d.actors).instance(id).restore(callerOf(caller), { correlationId: caller.correlationId, commitOnly: true }),
  );
}

/** forceDelete (os-deferred-delete): Nova's force_delete checks only the lock, then deletes now, soft-deleted or not. */
export async function forceDeleteServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const row = await findServer(d, caller, id, { attributes: ['uuid', 'project_id', 'locked'] });
  authorize(caller, 'os_compute_api:os-deferred-delete:force', 'member');
  if (row.locked && !caller.auth.isAdmin) throw new ComputeFault(409, `Instance ${row.uuid} is locked`);
  const { auth, project, correlationId } = caller;
  await ask('forceDelete', id, () =>
    computeActors(d.actors).instance(id).delete({ request_id: correlationId, user_id: auth.userId, project_id: project }, { correlationId }),
  );
}

/** What the diagnostics view is made of: the server's row and what its host's hypervisor says of the guest. */
export interface ServerDiagnostics {
  readonly server: Pick<InstanceRow, 'uuid' | 'launched_at' | 'config_drive'>;
  readonly guest: GuestDiagnostics;
}

/** GET /servers/{id}/diagnostics (admin): 409 for a server no host holds (Nova's check_instance_host). */
export async function serverDiagnostics(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<ServerDiagnostics> {
  const row = await findServer(d, caller, id, { attributes: ['uuid', 'project_id', 'host', 'launched_at', 'config_drive'] });
  authorize(caller, 'os_compute_api:os-server-diagnostics', 'admin');
  if (!row.host) throw new ComputeFault(409, `Instance ${row.uuid} is not ready`);
  try {
    const guest = await computeActors(d.actors).host(row.host).diagnostics({ instance_uuid: row.uuid }, { correlationId: caller.correlationId });
    return { server: row, guest };
  } catch (error) {
    // The hypervisor has no such domain (deleted meanwhile): Nova's InstanceNotFound.
    if ((error as { details?: { status?: number } }).details?.status === 404) throw instanceNotFound(id);
    throw error;
  }
}
