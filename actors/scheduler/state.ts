import type { SchedulerRow } from '../../models/scheduler.js';

export type { SchedulerRow };

/** What a scheduler that has decided nothing yet looks like; it has no row until its first message. */
export const fresh = (name: string, now: number): SchedulerRow =>
  ({ name, decisions: 0, last_decision_at: null, created_at: new Date(now), updated_at: new Date(now) });

export const decided = (s: SchedulerRow, now: number): SchedulerRow =>
  ({ ...s, decisions: s.decisions + 1, last_decision_at: new Date(now), updated_at: new Date(now) });

// updated_at doubles as the nova-scheduler service's last report.
export const reported = (s: SchedulerRow, now: number): SchedulerRow => ({ ...s, updated_at: new Date(now) });
