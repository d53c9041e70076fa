import type { Static } from '@sinclair/typebox';
import type { InstanceRow } from '../../models/instance.js';
import type { MigrationRow } from '../../models/migration.js';
import type { MoveFlavor } from './move-protocol.js';

// Moving a server as Nova's compute API and manager do (check_instance_state on resize, migrate,
// live_migrate and the resize confirm/revert; the task_state sequence of a resize): pure, tested alone.

export type Flavor = Static<typeof MoveFlavor>;
export type MoveType = 'resize' | 'migration' | 'live-migration' | 'evacuation';

/** The move under way, kept on the instance row (Nova's migration_context with old and new flavor). */
export interface MoveContext {
  readonly migration: string;
  readonly id: number;
  readonly type: MoveType;
  readonly source: string;
  readonly dest: string;
  readonly old: Flavor;
  readonly new: Flavor;
  /** The vm_state before the move: a stopped server stays stopped on its new host. */
  readonly was: string;
  /** The instance action it belongs to (its request) and Nova's action name. */
  readonly request_id: string;
  readonly action: string;
  readonly user_id: string;
  readonly project_id: string;
  readonly confirm_window_ms: number;
}

export const contextOf = (s: InstanceRow): MoveContext | undefined =>
  s.migration_context ? (JSON.parse(s.migration_context) as MoveContext) : undefined;

export const flavorOf = (s: InstanceRow): Flavor => ({
  flavor_id: s.flavor_id,
  flavor_name: s.flavor_name,
  memory_mb: s.memory_mb,
  vcpus: s.vcpus,
  root_gb: s.root_gb,
  ephemeral_gb: s.ephemeral_gb,
  swap: s.swap,
  flavor_extra_specs: s.flavor_extra_specs,
});

export const resourcesOf = (f: Flavor) => ({ vcpus: f.vcpus, memory_mb: f.memory_mb, disk_gb: f.root_gb + f.ephemeral_gb });

/** Nova's instance action names. */
export const ACTION_OF: Record<MoveType, string> = {
  resize: 'resize',
  migration: 'migrate',
  'live-migration': 'live-migration',
  evacuation: 'evacuate',
};

interface MoveRule {
  readonly vmStates: readonly string[];
  readonly taskStates: readonly (string | null)[];
}

// check_instance_state of each: resize/migrate and live migration leave task_state at its default [None].
export const MOVE_RULES: Readonly<Record<'resize' | 'migrate' | 'confirmResize' | 'revertResize' | 'os-migrateLive' | 'evacuate', MoveRule>> = {
  resize: { vmStates: ['active', 'stopped'], taskStates: [null] },
  migrate: { vmStates: ['active', 'stopped'], taskStates: [null] },
  confirmResize: { vmStates: ['resized'], taskStates: [null] },
  revertResize: { vmStates: ['resized'], taskStates: [null] },
  'os-migrateLive': { vmStates: ['active', 'paused'], taskStates: [null] },
  evacuate: { vmStates: ['active', 'stopped', 'error'], taskStates: [null] },
};

/** Why a move is refused: the details the API words as Nova's 409 (or its 400 for a bad destination). */
export type MoveRefusal =
  { readonly reason: 'locked' } | { readonly reason: 'invalid_state'; readonly attr: 'vm_state' | 'task_state'; readonly state: string | null };

export function moveRefusal(s: InstanceRow, action: keyof typeof MOVE_RULES, isAdmin: boolean): MoveRefusal | undefined {
  const rule = MOVE_RULES[action];
  if (s.locked && !isAdmin) return { reason: 'locked' };
  if (!rule.vmStates.includes(s.vm_state)) return { reason: 'invalid_state', attr: 'vm_state', state: s.vm_state };
  if (!rule.taskStates.includes(s.task_state)) return { reason: 'invalid_state', attr: 'task_state', state: s.task_state };
  return undefined;
}

export const refusalText = (uuid: string, r: MoveRefusal, action: string) =>
  r.reason === 'locked'
    ? `Instance ${uuid} is locked`
    : `Instance ${uuid} in ${r.attr} ${r.state ?? 'None'}. Cannot ${action} while the instance is in this state.`;

/** A resize's task states in Nova's order; a host's late report of an earlier one changes nothing. */
const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'];

export const isForward = (s: InstanceRow, task: string) => RESIZE_TASKS.indexOf(task) > RESIZE_TASKS.indexOf(s.task_state ?? '');

const at = (now: number) => new Date(now);
const withFlavor = (s: InstanceRow, f: Flavor): InstanceRow => ({ ...s, ...f });

/** Accepted: resize_prep (or migrating for a live one), the move recorded on the row. */
export const moveAccepted = (s: InstanceRow, m: MoveContext, now: number): InstanceRow => ({
  ...s,
  task_state: m.type === 'live-migration' ? 'migrating' : m.type === 'evacuation' ? 'rebuilding' : 'resize_prep',
  migration_context: JSON.stringify(m),
  updated_at: at(now),
});

export const moveProgressed = (s: InstanceRow, task: string, now: number): InstanceRow => ({ ...s, task_state: task, updated_at: at(now) });

/** The guest runs (or is defined) on the destination with the new flavor: VERIFY_RESIZE, or done for a live migration. */
export function moveFinished(s: InstanceRow, m: MoveContext, powerState: number, now: number): InstanceRow {
  const moved = { ...withFlavor(s, m.new), host: m.dest, node: m.dest, power_state: powerState, task_state: null, updated_at: at(now) };
  if (m.type === 'live-migration') return { ...moved, migration_context: null };
  // Rebuilt on its new host: running again unless it was stopped (an evacuated ERROR server comes back ACTIVE).
  if (m.type === 'evacuation')
    return {
      ...moved,
      vm_state: m.was === 'stopped' ? 'stopped' : 'active',
      migration_context: null,
      fault_code: null,
      fault_message: null,
      fault_details: null,
    };
  return { ...moved, vm_state: 'resized' };
}

/** The move failed before the guest left its source: the server as it was, with the fault. */
export const moveFailedOn = (s: InstanceRow, message: string, now: number): InstanceRow => ({
  ...s,
  task_state: null,
  migration_context: null,
  fault_code: 500,
  fault_message: message.slice(0, 255),
  fault_details: null,
  updated_at: at(now),
});

export const confirming = (s: InstanceRow, now: number): InstanceRow => ({ ...s, task_state: 'resize_confirming', updated_at: at(now) });
export const reverting = (s: InstanceRow, now: number): InstanceRow => ({ ...s, task_state: 'resize_reverting', updated_at: at(now) });

/** Confirmed: back to what it was (active, or stopped) on the new host. */
export const confirmed = (s: InstanceRow, m: MoveContext, now: number): InstanceRow => ({
  ...s,
  vm_state: m.was === 'stopped' ? 'stopped' : 'active',
  task_state: null,
  migration_context: null,
  updated_at: at(now),
});

/** Reverted: the old flavor on the source host. */
export const reverted = (s: InstanceRow, m: MoveContext, powerState: number, now: number): InstanceRow => ({
  ...withFlavor(s, m.old),
  host: m.source,
  node: m.source,
  vm_state: m.was === 'stopped' ? 'stopped' : 'active',
  task_state: null,
  power_state: powerState,
  migration_context: null,
  updated_at: at(now),
});

/** The migration record as it starts (Nova's 'pre-migrating' for cold moves, 'accepted' for live ones). */
export const migrationRecord = (s: InstanceRow, m: MoveContext, now: number): MigrationRow => ({
  uuid: m.migration,
  id: m.id,
  instance_uuid: s.uuid,
  source_compute: m.source,
  dest_compute: m.dest,
  source_node: m.source,
  dest_node: m.dest,
  dest_host: null,
  old_instance_type_id: m.old.flavor_id,
  new_instance_type_id: m.new.flavor_id,
  status: m.type === 'live-migration' ? 'running' : m.type === 'evacuation' ? 'accepted' : 'pre-migrating',
  migration_type: m.type,
  hidden: false,
  memory_total: null,
  memory_processed: null,
  memory_remaining: null,
  disk_total: null,
  disk_processed: null,
  disk_remaining: null,
  user_id: m.user_id,
  project_id: m.project_id,
  created_at: at(now),
  updated_at: at(now),
  deleted_at: null,
});

/** A move that did not finish in time: ERROR with the fault, the move dropped (its hosts' late reports change nothing). */
export const moveTimedOut = (s: InstanceRow, message: string, now: number): InstanceRow => ({
  ...moveFailedOn(s, message, now),
  vm_state: 'error',
});
