import type { SupervisionPolicy } from '../runtime/supervision.js';

/** The supervision part of the cluster configuration, as read from it. */
export interface SupervisionSettings {
  readonly maxRestarts: number;
  readonly withinMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxMessageAttempts: number;
}

export interface KindSupervisorSettings {
  readonly supervision: SupervisionSettings;
  /** Idle time before an actor of this kind is passivated; 0 keeps it active. */
  readonly passivateAfterMs: number;
}

/** A policy from configuration, refusing values that would make supervision meaningless. */
export function policyFrom(settings: SupervisionSettings): SupervisionPolicy {
  const { maxRestarts, withinMs, backoffBaseMs, backoffMaxMs, maxMessageAttempts } = settings;
  for (const [name, value] of Object.entries({ maxRestarts, withinMs, backoffBaseMs, backoffMaxMs, maxMessageAttempts })) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`supervision.${name} must be a number ≥ 0, got ${value}`);
  }
  if (maxMessageAttempts < 1) throw new Error('supervision.maxMessageAttempts must be at least 1');
  if (backoffMaxMs < backoffBaseMs) throw new Error('supervision.backoffMaxMs must not be below backoffBaseMs');
  // A copy, so later edits to the configuration object cannot change a running supervisor.
  return Object.freeze({ maxRestarts, withinMs, backoffBaseMs, backoffMaxMs, maxMessageAttempts });
}
