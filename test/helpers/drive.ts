import type { SimulatedClock } from '../../runtime/clock.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

/**
 * Advances simulated time in small steps until the promise settles, yielding to real I/O
 * (the database) between steps. Bounded: it gives up after `maxMs` of simulated time.
 */
export async function drive<T>(clock: SimulatedClock, promise: Promise<T>, stepMs = 50, maxMs = 600_000): Promise<T> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let elapsed = 0; !done && elapsed < maxMs; elapsed += stepMs) {
    await tick();
    if (!done) await clock.advance(stepMs);
  }
  return promise;
}

/** Waits (in real time, bounded) until a condition holds; for conditions that span processes. */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs = 60_000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
