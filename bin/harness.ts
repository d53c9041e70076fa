import type { Logger } from 'pino';
import type { CloudExtensions } from './cloud.js';

// The one seam through which the test harness (test/harness/stratus-test.ts) changes a process's
// start: it attaches itself before loading bin/stratus.ts. Production never attaches one, so a
// production start refuses the test-only configuration (`faults.*`) and runs nothing of the tests'.

export interface Harness {
  /** What the harness adds to the cloud it starts (e.g. a check of every compute response), started before it. */
  extend(logger: Logger): Promise<CloudExtensions>;
}

let attached: Harness | undefined;

export function attachHarness(harness: Harness): void {
  attached = harness;
}

export function testHarness(): Harness | undefined {
  return attached;
}
