import type { KindDefinition } from './kind.js';
import type { SupervisionPolicy } from './supervision.js';

/** Counters kept per kind on the hot path; /metrics reads them when scraped. */
export class KindStats {
  transient = 0;
  durable = 0;
  rejected = 0;
  invalid = 0;
  crashes = 0;
  restarts = 0;
  deadLetters = 0;
  failures = 0;
  activations = 0;
  passivations = 0;
  /** Handler latency observer, wired to a histogram by the metrics module. */
  observe: (seconds: number) => void = () => {};
}

/** A kind as one node runs it: its definition, its supervisor's policy and its counters. */
export interface KindRuntime {
  readonly definition: KindDefinition;
  readonly policy: SupervisionPolicy;
  /** 0 never passivates. */
  readonly passivateAfterMs: number;
  readonly supervisor: string;
  readonly stats: KindStats;
}
