import type { SchedulerRow } from '../../models/scheduler.js';

export type { SchedulerRow };

/** What a scheduler that has reported nothing yet looks like; it has no row until its first heartbeat. */
export const fresh = (name: string, now: number): SchedulerRow => ({
  name,
  decisions: 0,
  last_decision_at: null,
  created_at: new Date(now),
  updated_at: new Date(now),
});

/** A heartbeat: updated_at is the nova-scheduler service's last report, with the decisions made so far. */
export const reported = (s: SchedulerRow, decisions: { count: number; lastAt: number | null }, now: number): SchedulerRow => ({
  ...s,
  decisions: decisions.count,
  last_decision_at: decisions.lastAt === null ? s.last_decision_at : new Date(decisions.lastAt),
  updated_at: new Date(now),
});
