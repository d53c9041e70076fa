// Child process for the recovery benchmark.
//   accept <url> <n>: makes n update (rename) messages durable (one per actor), says "accepted", waits to be killed.
//   recover <url> <n>: a restarted node; prints the ms from its start until all n are handled.
import { randomUUID } from 'node:crypto';
import { until } from '../report.js';
import { instance, instanceNode } from './support.js';

const t0 = performance.now();
const [mode, url, count] = process.argv.slice(2);
const n = Number(count);
if (mode === 'accept') {
  const bench = await instanceNode(url);
  // Written through the store but not yet delivered: what a node holds when it dies after accepting.
  await bench.store.enqueue(Array.from({ length: n }, (_, i) => ({
    id: randomUUID(), to: instance(i), type: 'update', payload: { display_name: `recovered-${i}` }, durable: true,
  })));
  console.log('accepted');
  setInterval(() => {}, 1 << 30);
} else {
  const bench = await instanceNode(url);
  const stats = bench.node.kindRuntimes()[0].stats;
  await until(() => stats.durable >= n);
  console.log(`recovered ${(performance.now() - t0).toFixed(1)}`);
  await bench.stop();
  process.exit(0);
}
