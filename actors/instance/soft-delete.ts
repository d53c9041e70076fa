import type { InstanceRow } from '../../models/instance.js';

// Soft delete's state rules (nova/compute/api.py soft_delete and restore, the compute manager's
// soft_delete_instance, restore_instance and _reclaim_queued_deletes): pure, tested alone.

export const SOFT_DELETED = 'soft-delete';

export interface SoftDeleteRefusal {
  readonly status: 409;
  readonly message: string;
  readonly attr?: 'vm_state' | 'task_state' | 'launched_at';
  readonly state?: string | null;
}

/** Whether a delete is to be ignored: one is already under way (Nova: "Instance is already in deleting state"). */
export const deleteUnderWay = (s: InstanceRow) => s.task_state === 'deleting' || s.task_state === 'soft-deleting';

/** restore: check_instance_lock (whose InstanceIsLocked the API words as an invalid state), then vm_state soft-delete, no task. */
export function restoreRefusal(s: InstanceRow, isAdmin: boolean): SoftDeleteRefusal | undefined {
  if (s.locked && !isAdmin) return { status: 409, message: `Instance ${s.uuid} is in an invalid state for 'restore'` };
  if (s.vm_state !== SOFT_DELETED) return { status: 409, message: 'invalid state', attr: 'vm_state', state: s.vm_state };
  if (s.task_state !== null) return { status: 409, message: 'invalid state', attr: 'task_state', state: s.task_state };
  if (!s.launched_at) return { status: 409, message: 'invalid state', attr: 'launched_at', state: null };
  return undefined;
}

export const softDeleting = (s: InstanceRow, at: number): InstanceRow => ({ ...s, task_state: 'soft-deleting', updated_at: new Date(at) });

/** The host's report on the power-off: SOFT_DELETED, or (reverts_task_state) the task cleared and nothing else. */
export function softDeleteReported(s: InstanceRow, report: { power_state: number; error?: unknown }, at: number): InstanceRow | undefined {
  if (s.deleted_at || s.task_state !== 'soft-deleting') return undefined;
  const base = { ...s, task_state: null, power_state: report.power_state, updated_at: new Date(at) };
  return report.error ? base : { ...base, vm_state: SOFT_DELETED };
}

export const restoring = (s: InstanceRow, at: number): InstanceRow => ({ ...s, task_state: 'restoring', updated_at: new Date(at) });

export function restoreReported(s: InstanceRow, report: { power_state: number; error?: unknown }, at: number): InstanceRow | undefined {
  if (s.deleted_at || s.task_state !== 'restoring') return undefined;
  const base = { ...s, task_state: null, power_state: report.power_state, updated_at: new Date(at) };
  return report.error ? base : { ...base, vm_state: 'active' };
}

/** The task a soft delete or restore runs under, until its host reports. */
export const KEPT_TASKS = { soft_delete: 'soft-deleting', restore: 'restoring' } as const;

/** A power-off or power-on its host never reported: the task cleared (reverts_task_state), nothing else. */
export function keptPowerTimedOut(s: InstanceRow, op: keyof typeof KEPT_TASKS, at: number): InstanceRow | undefined {
  if (s.deleted_at || s.task_state !== KEPT_TASKS[op]) return undefined;
  return { ...s, task_state: null, updated_at: new Date(at) };
}

/**
 * When a soft-deleted server is due: the interval after its soft delete, counted from its last change (a
 * repeated delete starts it again, as Nova's sets deleted_at again). Undefined: no longer soft-deleted.
 */
export function reclaimDue(s: InstanceRow, deadline: number, afterMs: number): number | undefined {
  if (s.deleted_at || s.vm_state !== SOFT_DELETED || s.task_state !== null) return undefined;
  return Math.max(deadline, new Date(s.updated_at).getTime() + afterMs);
}
