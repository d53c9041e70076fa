import { execFileSync } from 'node:child_process';
import type { Envelope, Reply } from '../runtime/envelope.js';
import { ActorError } from '../runtime/errors.js';
import type { NodeEndpoint } from '../runtime/transport.js';
import { RedisTransport } from '../runtime/transports/redis.js';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.js';
import { count, note, percentile, report, scaled, until } from './report.js';

// Cross-node messaging through the Redis transport: two transports (a sender and a receiving node) on one
// private redis-server, against redis-benchmark's XADD on the same server in the same run. Both transports
// live in this one process, so the figure includes both ends' CPU on a shared event loop.

interface Baseline {
  rps: number;
  p50: number;
  p99: number;
}

function redisBenchmark(server: RedisServer, requests: number, pipeline: number): Baseline {
  const csv = execFileSync(
    'redis-benchmark',
    ['-p', String(server.port), '-n', String(requests), '-P', String(pipeline), '--csv', 'XADD', 'benchstream', '*', 'f', 'v'],
    { encoding: 'utf8' },
  );
  const [header, row] = csv
    .trim()
    .split('\n')
    .map((line) => line.split(',').map((cell) => cell.replace(/"/g, '')));
  const at = (name: string) => Number(row[header.indexOf(name)]);
  return { rps: at('rps'), p50: at('p50_latency_ms'), p99: at('p99_latency_ms') };
}

class Receiver implements NodeEndpoint {
  received = 0;
  readonly latencies: number[] = [];
  constructor(
    readonly nodeId: string,
    private readonly onDurable: (envelope: Envelope) => void,
  ) {}
  receive(envelope: Envelope): void {
    this.received++;
    this.latencies.push(performance.now() - (envelope.payload as { at: number }).at);
    if (envelope.durable) this.onDurable(envelope);
  }
  receiveReply(_reply: Reply): void {}
}

/** Sends `n` envelopes as fast as the bound lets: a refused one waits for room and is sent again. */
async function blast(sender: RedisTransport, n: number, durable: boolean, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const envelope: Envelope = {
      id: durable ? `${tag}-${i}` : i,
      to: { kind: 'instance', id: `i-${i % 1000}` },
      type: durable ? 'rename' : 'get',
      payload: { at: performance.now(), name: `server-${i}` },
      durable,
    };
    try {
      sender.deliver('b', envelope);
    } catch (error) {
      if (!(error instanceof ActorError && error.code === 'overloaded')) throw error;
      await sender.whenRoom('b');
      i--;
    }
    // Let the pipelines go out while the loop produces.
    if (i % 512 === 0) await new Promise((r) => setImmediate(r));
  }
}

async function measure(server: RedisServer, n: number, durable: boolean, tag: string) {
  const options = { url: server.url, keyPrefix: `bench-${tag}:`, sendWaitMs: 60_000 };
  const sender = new RedisTransport(options);
  const receiving = new RedisTransport(options);
  // The node acknowledges a durable envelope once its handler committed: here, on receipt.
  const node = new Receiver('b', (envelope) => receiving.acknowledge(String(envelope.id)));
  await sender.ready();
  await receiving.attach(node);
  const t0 = performance.now();
  await blast(sender, n, durable, tag);
  await until(() => node.received >= n);
  if (durable) {
    const probe = server.admin();
    await until(async () => receiving.stats.pending === 0 && (await probe.xlen(receiving.key('b'))) === 0);
    probe.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  await sender.close();
  await receiving.close();
  const sorted = node.latencies.sort((a, b) => a - b);
  return { rate: n / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export async function run(): Promise<void> {
  const server = await startRedisServer();
  try {
    const N = scaled(200_000, 2_000);
    const D = scaled(50_000, 1_000);
    const pipelined = redisBenchmark(server, scaled(200_000, 2_000), 16);
    const unpipelined = redisBenchmark(server, scaled(50_000, 1_000), 1);
    const transient = await measure(server, N, false, 'transient');
    const durable = await measure(server, D, true, 'durable');
    note(
      `redis-benchmark XADD: -P 16 ${Math.round(pipelined.rps)} ops/s (p50 ${pipelined.p50} ms), unpipelined ${Math.round(unpipelined.rps)} ops/s (p50 ${unpipelined.p50} ms)`,
    );
    report(`cluster transient messages (${count(N)}, through Redis)`, transient.rate, 'msgs/s', 'redis-benchmark XADD -P 16', pipelined.rps, 'ops/s');
    report(
      `cluster transient messages (${count(N)}, through Redis)`,
      transient.rate,
      'msgs/s',
      'redis-benchmark XADD unpipelined',
      unpipelined.rps,
      'ops/s',
    );
    report(`cluster durable messages delivered+acked (${count(D)})`, durable.rate, 'msgs/s', 'redis-benchmark XADD -P 16', pipelined.rps, 'ops/s');
    report(
      `cluster durable messages delivered+acked (${count(D)})`,
      durable.rate,
      'msgs/s',
      'redis-benchmark XADD unpipelined',
      unpipelined.rps,
      'ops/s',
    );
    report('cluster transient latency p50 (at full load)', transient.p50, 'ms', 'redis-benchmark XADD -P 16 p50', pipelined.p50);
    report('cluster transient latency p99 (at full load)', transient.p99, 'ms', 'redis-benchmark XADD -P 16 p99', pipelined.p99);
    report('cluster durable latency p50 (at full load)', durable.p50, 'ms', 'redis-benchmark XADD -P 16 p50', pipelined.p50);
    report('cluster durable latency p99 (at full load)', durable.p99, 'ms', 'redis-benchmark XADD -P 16 p99', pipelined.p99);
  } finally {
    await server.destroy();
  }
  await (await import('./cluster-failover.js')).run();
  await (await import('./cluster-boots.js')).run();
}
