// Child process for the recovery benchmark; every mode is a cold process, timed from its first line.
//   accept <url> <n>: makes n rename messages durable (one per actor), says "accepted", waits to be killed.
//   recover <url> <n>: a restarted node; prints "done <ms>" once the n messages it found are handled and committed.
//   clean <url> <n>: a fresh node given the same n messages at its start; prints "done <ms>" the same way.
import { randomUUID } from 'node:crypto';
import { until } from '../report.js';
import { instanceNode, renamable } from './support.js';

const t0 = performance.now();
const [mode, url, count] = process.argv.slice(2);
const n = Number(count);
const bench = await instanceNode(url);
if (mode === 'accept') {
  // Written through the store but not yet delivered: what a node holds when it dies after accepting.
  await bench.store.enqueue(
    Array.from({ length: n }, (_, i) => ({
      id: randomUUID(),
      to: renamable(i),
      type: 'rename',
      payload: { display_name: `recovered-${i}` },
      durable: true,
    })),
  );
  console.log('accepted');
  setInterval(() => {}, 1 << 30);
} else {
  if (mode === 'clean')
    await Promise.all(Array.from({ length: n }, (_, i) => bench.node.send(renamable(i), 'rename', { display_name: `clean-${i}` })));
  const stats = bench.stats('bench-instance');
  await until(() => stats.durable >= n);
  // A message leaves the outbox in its handler's commit: an empty outbox means every one is durable.
  await until(async () => (await bench.db.models.Outbox.count()) === 0);
  console.log(`done ${(performance.now() - t0).toFixed(1)}`);
  await bench.stop();
  process.exit(0);
}
