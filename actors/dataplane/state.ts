import type { DataPlaneRow } from '../../models/dataplane.js';

export type { DataPlaneRow };

/** Longest error kept: a failed command's output can be long. */
const ERROR_CHARS = 1000;

export const fresh = (name: string, now: number): DataPlaneRow => ({
  name,
  reconciles: 0,
  plan_hash: null,
  last_reconciled_at: null,
  last_error: null,
  created_at: new Date(now),
  updated_at: new Date(now),
});

export const applied = (s: DataPlaneRow, hash: string, now: number): DataPlaneRow => ({
  ...s,
  reconciles: s.reconciles + 1,
  plan_hash: hash,
  last_reconciled_at: new Date(now),
  last_error: null,
  updated_at: new Date(now),
});

/** A failed apply forgets the hash, so the next nudge applies again whatever the plan. */
export const failedApply = (s: DataPlaneRow, error: string, now: number): DataPlaneRow => ({
  ...s,
  plan_hash: null,
  last_error: error.slice(0, ERROR_CHARS),
  updated_at: new Date(now),
});
