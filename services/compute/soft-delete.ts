import { computeActors } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { ComputeFault, notFound } from './errors.js';
import type { ComputeCaller } from './policy.js';

// The delete of a server under Nova's reclaim_instance_interval: it is powered off and kept (SOFT_DELETED),
// reclaimed by its instance actor once the interval has passed, unless restored or force-deleted first.

/** Asks the instance to soft-delete itself; its refusal (a lock) is Nova's 409, a server gone meanwhile its 404. */
export async function softDelete(d: ComputeDeps, caller: ComputeCaller, id: string, reclaimAfterMs: number): Promise<void> {
  const { auth, project, correlationId } = caller;
  try {
    await computeActors(d.actors)
      .instance(id)
      .softDelete(
        { request_id: correlationId, user_id: auth.userId, project_id: project, is_admin: auth.isAdmin, reclaim_after_ms: reclaimAfterMs },
        { correlationId },
      );
  } catch (error) {
    const e = error as { code?: string; message?: string; details?: { status?: number } };
    if (e.code !== 'rejected') throw error;
    if (e.details?.status) throw new ComputeFault(e.details.status, e.message ?? '');
    throw notFound(`Instance ${id} could not be found.`);
  }
}
