import type { InstanceRow } from '../../models/instance.js';

// The rules of os-resetState, changePassword and trigger_crash_dump (nova/compute/api.py's decorators,
// admin_actions.py, the compute manager and the libvirt driver): pure, tested alone.

/** Nova's power_state RUNNING. */
const RUNNING = 1;

/** vm_states.ALLOW_TRIGGER_CRASH_DUMP. */
const CRASH_DUMP_STATES = ['active', 'paused', 'rescued', 'resized', 'error'];

/** A refusal: the API's status and Nova's words for it. */
export interface AdminRefusal {
  readonly status: 409;
  readonly message: string;
  /** For InstanceInvalidState, which the API words itself: the attribute and its value. */
  readonly attr?: 'vm_state' | 'task_state' | 'launched_at';
  readonly state?: string | null;
}

const invalid = (attr: 'vm_state' | 'task_state' | 'launched_at', state: string | null): AdminRefusal => ({
  status: 409,
  message: `instance in ${attr} ${state ?? 'None'}`,
  attr,
  state,
});

/** check_instance_lock, [check_instance_host], then check_instance_state(vm_state=…, task_state=(None,), must_have_launched). */
function checks(s: InstanceRow, isAdmin: boolean, vmStates: readonly string[], needsHost: boolean): AdminRefusal | undefined {
  if (s.locked && !isAdmin) return { status: 409, message: `Instance ${s.uuid} is locked` };
  if (needsHost && !s.host) return { status: 409, message: `Instance ${s.uuid} is not ready` };
  if (!vmStates.includes(s.vm_state)) return invalid('vm_state', s.vm_state);
  if (s.task_state !== null) return invalid('task_state', s.task_state);
  if (!s.launched_at) return invalid('launched_at', null);
  return undefined;
}

export const crashDumpRefusal = (s: InstanceRow, isAdmin: boolean) => checks(s, isAdmin, CRASH_DUMP_STATES, true);

/** changePassword: admin_password.py answers InstanceIsLocked (an InstanceInvalidState without attr or state) in the generic words. */
export function changePasswordRefusal(s: InstanceRow, isAdmin: boolean): AdminRefusal | undefined {
  if (s.locked && !isAdmin) return { status: 409, message: `Instance ${s.uuid} is in an invalid state for 'changePassword'` };
  return checks(s, isAdmin, ['active'], false);
}

/**
 * What the compute host answers a password change that passed the API's checks: its manager refuses a guest that is not
 * running (InstancePasswordSetFailed), and Nova's libvirt driver (kvm/qemu) refuses an image without
 * `hw_qemu_guest_agent` (QemuGuestAgentNotEnabled). Stratus's guests have no guest agent, so every change ends there;
 * both are Nova's 409s, and the task state is back to none.
 */
export function passwordNotSet(s: InstanceRow): string {
  if (s.power_state !== RUNNING) return `Failed to set admin password on ${s.uuid} because instance ${s.uuid} is not running`;
  return 'QEMU guest agent is not enabled';
}

/** os-resetState: the vm_state asked for and no task, whatever was under way (a late report of it changes nothing). */
export const stateReset = (s: InstanceRow, state: 'active' | 'error', at: number): InstanceRow => ({
  ...s,
  vm_state: state,
  task_state: null,
  updated_at: new Date(at),
});
