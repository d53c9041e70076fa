import type { InstanceRow } from '../../models/instance.js';

// Nova's power actions as state rules (nova/compute/api.py's check_instance_state and
// check_instance_lock, nova/compute/manager.py's transitions): pure, so they are tested alone.

/** The operations a host carries out on a server's domain. */
export const HOST_OPS = ['stop', 'start', 'soft_reboot', 'hard_reboot', 'pause', 'unpause', 'suspend', 'resume'] as const;
export type HostOp = (typeof HOST_OPS)[number];

/** Nova's power_state values (nova/compute/power_state.py). */
const RUNNING = 1;

const SOFT_REBOOTING = ['rebooting', 'reboot_pending', 'reboot_started'];
const HARD_REBOOTING = ['rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'];
// task_states.ALLOW_REBOOT: a hard reboot may interrupt these.
const ALLOW_REBOOT = [null, 'rebooting', 'reboot_pending', 'reboot_started', 'resuming', 'rebooting_hard', 'unpausing', 'pausing', 'suspending'];

interface Rule {
  /** The action's name in Nova's API messages and instance actions. */
  readonly action: 'stop' | 'start' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume';
  readonly vmStates: readonly string[];
  readonly taskStates: readonly (string | null)[];
  /** check_instance_host: refused as "not ready" when no host holds the server. */
  readonly needsHost: boolean;
  /** The task_state the API sets when it accepts the action. */
  readonly task: string;
  /** The task_states in which the host's report is still the one expected (Nova's expected_task_state). */
  readonly expecting: readonly string[];
  /** The vm_state once the host has done it. */
  readonly done: string;
  /**
   * What a failure leaves: `revert` only clears the task (reverts_task_state), `error` puts the server
   * in ERROR (_error_out_instance_on_exception), `reboot` is ACTIVE if the guest still runs, else ERROR.
   */
  readonly failure: 'revert' | 'error' | 'reboot';
}

export const RULES: Readonly<Record<HostOp, Rule>> = {
  stop: {
    action: 'stop',
    vmStates: ['active', 'error'],
    taskStates: [null],
    needsHost: true,
    task: 'powering-off',
    expecting: ['powering-off'],
    done: 'stopped',
    failure: 'revert',
  },
  start: {
    action: 'start',
    vmStates: ['stopped'],
    taskStates: [null],
    needsHost: true,
    task: 'powering-on',
    expecting: ['powering-on'],
    done: 'active',
    failure: 'revert',
  },
  soft_reboot: {
    action: 'reboot',
    vmStates: ['active'],
    taskStates: [null],
    needsHost: false,
    task: 'rebooting',
    expecting: SOFT_REBOOTING,
    done: 'active',
    failure: 'reboot',
  },
  hard_reboot: {
    action: 'reboot',
    vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
    taskStates: ALLOW_REBOOT,
    needsHost: false,
    task: 'rebooting_hard',
    expecting: HARD_REBOOTING,
    done: 'active',
    failure: 'reboot',
  },
  pause: {
    action: 'pause',
    vmStates: ['active'],
    taskStates: [null],
    needsHost: false,
    task: 'pausing',
    expecting: ['pausing'],
    done: 'paused',
    failure: 'revert',
  },
  unpause: {
    action: 'unpause',
    vmStates: ['paused'],
    taskStates: [null],
    needsHost: false,
    task: 'unpausing',
    expecting: ['unpausing'],
    done: 'active',
    failure: 'revert',
  },
  suspend: {
    action: 'suspend',
    vmStates: ['active'],
    taskStates: [null],
    needsHost: false,
    task: 'suspending',
    expecting: ['suspending'],
    done: 'suspended',
    failure: 'error',
  },
  resume: {
    action: 'resume',
    vmStates: ['suspended'],
    taskStates: [null],
    needsHost: false,
    task: 'resuming',
    expecting: ['resuming'],
    done: 'active',
    failure: 'error',
  },
};

/** Why an action is refused; the API words it as Nova does (409). */
export type Refusal =
  | { readonly reason: 'locked' }
  | { readonly reason: 'not_ready' }
  | { readonly reason: 'invalid_state'; readonly attr: 'vm_state' | 'task_state' | 'launched_at'; readonly state: string | null };

/** Nova's exception text for a refusal (InstanceIsLocked, InstanceNotReady, InstanceInvalidState). */
export function refusalMessage(uuid: string, op: HostOp, r: Refusal): string {
  if (r.reason === 'locked') return `Instance ${uuid} is locked`;
  if (r.reason === 'not_ready') return `Instance ${uuid} is not ready`;
  return `Instance ${uuid} in ${r.attr} ${r.state ?? 'None'}. Cannot ${RULES[op].action} while the instance is in this state.`;
}

/** The decorators' checks in their order: the lock first (admins pass), then the host, vm_state, task_state, launched_at. */
export function refusal(s: InstanceRow, op: HostOp, isAdmin: boolean): Refusal | undefined {
  const rule = RULES[op];
  if (s.locked && !isAdmin) return { reason: 'locked' };
  if (rule.needsHost && !s.host) return { reason: 'not_ready' };
  if (!rule.vmStates.includes(s.vm_state)) return { reason: 'invalid_state', attr: 'vm_state', state: s.vm_state };
  if (!rule.taskStates.includes(s.task_state)) return { reason: 'invalid_state', attr: 'task_state', state: s.task_state };
  if (!s.launched_at) return { reason: 'invalid_state', attr: 'launched_at', state: null };
  // A server that ever launched has a host; without one there is nothing to act on.
  if (!s.host) return { reason: 'not_ready' };
  return undefined;
}

/** The action accepted: its task_state set, at `at` (ms). */
export const accepted = (s: InstanceRow, op: HostOp, at: number): InstanceRow => ({ ...s, task_state: RULES[op].task, updated_at: new Date(at) });

/** The host has started a soft reboot that waits for the guest: Nova's reboot_started. */
export const rebootStarted = (s: InstanceRow, op: HostOp, now: number): InstanceRow | undefined =>
  op === 'soft_reboot' && SOFT_REBOOTING.includes(s.task_state ?? '') && s.task_state !== 'reboot_started'
    ? { ...s, task_state: 'reboot_started', updated_at: new Date(now) }
    : undefined;

export interface Report {
  readonly power_state: number;
  readonly error?: { readonly message: string; readonly traceback?: string };
}

/**
 * The server after its host's report, or undefined when the report is no longer the one expected
 * (another action took over meanwhile, or the server is gone): then only its event is finished.
 */
export function reported(s: InstanceRow, op: HostOp, report: Report, now: number): InstanceRow | undefined {
  const rule = RULES[op];
  if (s.deleted_at || !rule.expecting.includes(s.task_state ?? '')) return undefined;
  const base = { ...s, task_state: null, power_state: report.power_state, updated_at: new Date(now) };
  if (!report.error) return { ...base, vm_state: rule.done };
  const fault = { fault_code: 500, fault_message: report.error.message.slice(0, 255), fault_details: report.error.traceback ?? null };
  if (rule.failure === 'revert') return { ...base, ...fault };
  if (rule.failure === 'reboot' && report.power_state === RUNNING) return { ...base, ...fault, vm_state: 'active' };
  return { ...base, ...fault, vm_state: 'error' };
}

/** Who locks: the server's own project (`owner`) or an admin from elsewhere, as Nova's locked_by says. */
export const lockerOf = (s: InstanceRow, projectId: string): 'owner' | 'admin' => (s.project_id === projectId ? 'owner' : 'admin');

/** Nova's lock: an owner locking a locked server changes nothing; a reason is kept until unlocked. */
export function locked(s: InstanceRow, projectId: string, reason: string | undefined, at: number): InstanceRow | undefined {
  const by = lockerOf(s, projectId);
  if (s.locked && by === 'owner') return undefined;
  return { ...s, locked: true, locked_by: by, locked_reason: reason ?? s.locked_reason ?? null, updated_at: new Date(at) };
}

export const unlocked = (s: InstanceRow, at: number): InstanceRow => ({
  ...s,
  locked: false,
  locked_by: null,
  locked_reason: null,
  updated_at: new Date(at),
});
