import test from 'ava';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Loaded by ava (package.json `ava.require`) into each test file's process: a file that runs longer than a minute
// says so when its process exits, so CI shows which suites eat the time budget.
const started = performance.now();
const slowS = Number(process.env.STRATUS_SLOW_SUITE_S ?? 60);
const file = relative(process.cwd(), fileURLToPath(test.meta.file));

process.once('exit', () => {
  const seconds = (performance.now() - started) / 1000;
  // Pipes to the ava parent are written synchronously on Linux, so the line survives the exit.
  if (seconds > slowS) process.stderr.write(`suite ${file}: ${Math.round(seconds)} s\n`);
});
