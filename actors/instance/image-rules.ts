import type { InstanceRow } from '../../models/instance.js';
import type { HostImageOp } from '../host/image-protocol.js';
import type { Refusal } from './power.js';

// Nova's image-based server actions as state rules (nova/compute/api.py's check_instance_state and
// check_instance_lock on snapshot, backup, shelve, shelve_offload, unshelve, rescue, unrescue, rebuild; the task
// states its compute manager walks through): pure, so they are tested alone.

export type ImageOp = Exclude<HostImageOp, 'drop_image'>;

interface ImageRule {
  /** The instance action's name (Nova's instance_actions) and the action in the API's 409 texts. */
  readonly action: string;
  /** The compute event (wrap_instance_event(prefix='compute')). */
  readonly event: string;
  readonly vmStates: readonly string[];
  /** check_instance_lock: snapshots and backups are taken of locked servers too. */
  readonly checksLock: boolean;
  /** The task_state the API sets when it accepts the action. */
  readonly task: string;
  /** The task_states in which the host's reports are still the ones expected. */
  readonly expecting: readonly string[];
}

const SNAPSHOT_STATES = ['active', 'stopped', 'paused', 'suspended'];

export const IMAGE_RULES: Readonly<Record<ImageOp, ImageRule>> = {
  snapshot: {
    action: 'createImage',
    event: 'compute_snapshot_instance',
    vmStates: SNAPSHOT_STATES,
    checksLock: false,
    task: 'image_snapshot',
    expecting: ['image_snapshot', 'image_pending_upload', 'image_uploading'],
  },
  backup: {
    action: 'createBackup',
    event: 'compute_backup_instance',
    vmStates: SNAPSHOT_STATES,
    checksLock: false,
    task: 'image_backup',
    expecting: ['image_backup', 'image_pending_upload', 'image_uploading'],
  },
  shelve: {
    action: 'shelve',
    event: 'compute_shelve_instance',
    vmStates: SNAPSHOT_STATES,
    checksLock: true,
    task: 'shelving',
    expecting: ['shelving', 'shelving_image_pending_upload', 'shelving_image_uploading', 'shelving_offloading'],
  },
  shelve_offload: {
    action: 'shelveOffload',
    event: 'compute_shelve_offload_instance',
    vmStates: ['shelved'],
    checksLock: true,
    task: 'shelving_offloading',
    expecting: ['shelving_offloading'],
  },
  unshelve: {
    action: 'unshelve',
    event: 'compute_unshelve_instance',
    vmStates: ['shelved', 'shelved_offloaded'],
    checksLock: true,
    task: 'unshelving',
    expecting: ['unshelving', 'spawning'],
  },
  rescue: {
    action: 'rescue',
    event: 'compute_rescue_instance',
    vmStates: ['active', 'stopped', 'error'],
    checksLock: true,
    task: 'rescuing',
    expecting: ['rescuing'],
  },
  unrescue: {
    action: 'unrescue',
    event: 'compute_unrescue_instance',
    vmStates: ['rescued'],
    checksLock: true,
    task: 'unrescuing',
    expecting: ['unrescuing'],
  },
  rebuild: {
    action: 'rebuild',
    event: 'compute_rebuild_instance',
    vmStates: ['active', 'stopped', 'error'],
    checksLock: true,
    task: 'rebuilding',
    expecting: ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'],
  },
};

/** The decorators' checks in their order: the lock (admins pass), then vm_state, then task_state (None only). */
export function imageRefusal(s: InstanceRow, op: ImageOp, isAdmin: boolean, locked: boolean): Refusal | undefined {
  const rule = IMAGE_RULES[op];
  if (rule.checksLock && locked && !isAdmin) return { reason: 'locked' };
  if (!rule.vmStates.includes(s.vm_state)) return { reason: 'invalid_state', attr: 'vm_state', state: s.vm_state };
  if (s.task_state !== null) return { reason: 'invalid_state', attr: 'task_state', state: s.task_state };
  // Every op but an offloaded server's unshelve acts on its guest, which a host must hold.
  if (!s.host && !(op === 'unshelve' && s.vm_state === 'shelved_offloaded')) return { reason: 'not_ready' };
  return undefined;
}

/** Nova's exception text for a refusal (InstanceIsLocked, InstanceNotReady, InstanceInvalidState). */
export function imageRefusalMessage(uuid: string, op: ImageOp, r: Refusal): string {
  if (r.reason === 'locked') return `Instance ${uuid} is locked`;
  if (r.reason === 'not_ready') return `Instance ${uuid} is not ready`;
  return `Instance ${uuid} in ${r.attr} ${r.state ?? 'None'}. Cannot ${IMAGE_RULES[op].action} while the instance is in this state.`;
}

/** The action accepted: its task_state set. */
export const imageAccepted = (s: InstanceRow, op: ImageOp, at: number): InstanceRow => ({
  ...s,
  task_state: IMAGE_RULES[op].task,
  updated_at: new Date(at),
});

/** A step of the host's work (image_pending_upload, rebuild_spawning…), if the action is still the one under way. */
export function imageProgressed(s: InstanceRow, op: ImageOp, task: string, at: number): InstanceRow | undefined {
  const rule = IMAGE_RULES[op];
  if (s.deleted_at || !rule.expecting.includes(s.task_state ?? '') || !rule.expecting.includes(task) || s.task_state === task) return undefined;
  return { ...s, task_state: task, updated_at: new Date(at) };
}

export interface ImageReport {
  readonly power_state: number;
  /** The host freed what the server held there (a shelve offload). */
  readonly released?: boolean;
  readonly error?: { readonly message: string; readonly traceback?: string };
}

const SHUTDOWN = 4;
const RUNNING = 1;

/** The server after its host's report, or undefined when the report is no longer the one expected. */
export function imageReported(s: InstanceRow, op: ImageOp, report: ImageReport, at: number): InstanceRow | undefined {
  if (s.deleted_at || !IMAGE_RULES[op].expecting.includes(s.task_state ?? '')) return undefined;
  const base = { ...s, task_state: null, power_state: report.power_state, updated_at: new Date(at) };
  if (report.error) {
    const fault = { fault_code: 500, fault_message: report.error.message.slice(0, 255), fault_details: report.error.traceback ?? null };
    // A failed snapshot, backup or shelve reverts its task (reverts_task_state); the others leave the server in ERROR.
    if (op === 'snapshot' || op === 'backup' || op === 'shelve') return { ...base, ...fault, ...(op === 'shelve' ? { shelved_image_id: null } : {}) };
    return { ...base, ...fault, vm_state: 'error' };
  }
  switch (op) {
    case 'snapshot':
    case 'backup':
      return base;
    case 'shelve':
    case 'shelve_offload':
      if (!report.released) return { ...base, vm_state: 'shelved', power_state: SHUTDOWN };
      return offloaded(base);
    case 'unshelve':
    case 'rescue':
      return {
        ...base,
        vm_state: op === 'rescue' ? 'rescued' : 'active',
        ...(op === 'unshelve' ? { shelved_image_id: null, shelved_at: null } : {}),
      };
    case 'unrescue':
      return { ...base, vm_state: 'active' };
    case 'rebuild':
      return { ...base, vm_state: report.power_state === RUNNING ? 'active' : 'stopped' };
  }
}

/** Nova's _shelve_offload_instance: no host, no node, nothing running; the snapshot kept for the unshelve. */
const offloaded = (s: InstanceRow): InstanceRow => ({ ...s, vm_state: 'shelved_offloaded', power_state: 0, host: null, node: null });

/** An offloaded server placed and started again by the unshelve: its host's guest runs from the shelved image. */
export const unshelvedOn = (s: InstanceRow, host: string, node: string, powerState: number, at: number): InstanceRow => ({
  ...s,
  vm_state: 'active',
  task_state: null,
  power_state: powerState,
  host,
  node,
  shelved_image_id: null,
  shelved_at: null,
  updated_at: new Date(at),
});

/** An unshelve that found no host: still offloaded, with the scheduler's fault (Nova's conductor reverts the task). */
export const unshelveFailed = (s: InstanceRow, message: string, at: number): InstanceRow => ({
  ...s,
  task_state: null,
  fault_code: 500,
  fault_message: message.slice(0, 255),
  fault_details: null,
  updated_at: new Date(at),
});
