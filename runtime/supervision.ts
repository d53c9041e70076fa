/** How a kind's supervisor treats its crashing children (one-for-one: siblings are never touched). */
export interface SupervisionPolicy {
  /** More restarts than this within `withinMs` and the actor is stopped and marked failed. */
  readonly maxRestarts: number;
  readonly withinMs: number;
  /** Restart delays double from the base up to the maximum. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** A message that crashed its handler this many times goes to the dead-letter table. */
  readonly maxMessageAttempts: number;
}

export type CrashDecision = 'retry' | 'dead-letter' | 'fail';

export const backoffDelay = (policy: SupervisionPolicy, restartsInWindow: number): number =>
  Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, restartsInWindow - 1));

/** Records a crash in the sliding window and decides what happens to the actor and its message. */
export function decide(policy: SupervisionPolicy, window: number[], now: number, attempts: number): CrashDecision {
  window.push(now);
  while (window.length && window[0] <= now - policy.withinMs) window.shift();
  if (window.length > policy.maxRestarts) return 'fail';
  return attempts >= policy.maxMessageAttempts ? 'dead-letter' : 'retry';
}
