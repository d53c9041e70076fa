#!/usr/bin/env node
import { attachHarness } from '../../bin/harness.js';
import { checkResponses } from '../oracle/check-responses.js';
import { ResponseOracle } from '../oracle/response-oracle.js';

// `stratus` as the tests run it: the product's own entry (bin/stratus.ts) with the test harness
// attached, which honours the test-only configuration (faults.*) and checks every compute response
// against Tempest's schemas (test/oracle), stopping its checker, with a summary, when the cloud stops.
attachHarness({
  extend: async (logger) => {
    const oracle = await ResponseOracle.start(logger);
    return { computeMiddleware: [checkResponses(oracle)], stop: () => oracle.stop() };
  },
});
await import('../../bin/stratus.js');
