import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Envelope } from '../runtime/envelope.js';
import { ActorError } from '../runtime/errors.js';
import { RedisTransport } from '../runtime/transports/redis.js';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.js';
import { count, note, report, scaled, until } from './report.js';

// Cross-node messaging through the Redis transport: a sending node here and a receiving node in a process of its
// own (bench/fixtures/transport-receiver.ts), on one private redis-server, against redis-benchmark's XADD on the
// same server in the same run. Latency: from the send to the receipt, on the machine's one clock.

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

/** Sends `n` envelopes as fast as the bound lets: a refused one waits for room and is sent again. */
async function blastAt(sender: RedisTransport, n: number, durable: boolean, tag: string, clock: () => number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const envelope: Envelope = {
      id: durable ? `${tag}-${i}` : i,
      to: { kind: 'instance', id: `i-${i % 1000}` },
      type: durable ? 'rename' : 'get',
      payload: { at: clock(), name: `server-${i}` },
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

const receiverFixture = fileURLToPath(new URL('./fixtures/transport-receiver.ts', import.meta.url));

/** The same traffic to a receiving node in a process of its own: the figure the cluster's nodes see. */
async function measureAcross(server: RedisServer, n: number, durable: boolean, tag: string) {
  const keyPrefix = `bench-x${tag}:`;
  const child = spawn(process.execPath, ['--import=tsx', receiverFixture, server.url, keyPrefix, String(n)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  try {
    await until(() => lines.includes('ready'), 60_000);
    const sender = new RedisTransport({ url: server.url, keyPrefix, sendWaitMs: 60_000 });
    await sender.ready();
    const t0 = performance.timeOrigin + performance.now();
    await blastAt(sender, n, durable, tag, () => performance.timeOrigin + performance.now());
    await until(() => lines.some((l) => l.startsWith('{')), 600_000);
    await sender.close();
    const result = JSON.parse(lines.find((l) => l.startsWith('{'))!) as { doneAt: number; p50: number; p99: number };
    return { rate: n / ((result.doneAt - t0) / 1000), p50: result.p50, p99: result.p99 };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export async function run(): Promise<void> {
  const server = await startRedisServer();
  try {
    const N = scaled(200_000, 2_000);
    const D = scaled(50_000, 1_000);
    const pipelined = redisBenchmark(server, scaled(200_000, 2_000), 16);
    const unpipelined = redisBenchmark(server, scaled(50_000, 1_000), 1);
    const transient = await measureAcross(server, N, false, 'transient');
    const durable = await measureAcross(server, D, true, 'durable');
    note(
      `redis-benchmark XADD: -P 16 ${Math.round(pipelined.rps)} ops/s (p50 ${pipelined.p50} ms), unpipelined ${Math.round(unpipelined.rps)} ops/s (p50 ${unpipelined.p50} ms)`,
    );
    report(
      `cluster transient messages between two node processes (${count(N)}, through Redis)`,
      transient.rate,
      'msgs/s',
      'redis-benchmark XADD -P 16',
      pipelined.rps,
      'ops/s',
    );
    report(
      `cluster transient messages between two node processes (${count(N)}, through Redis)`,
      transient.rate,
      'msgs/s',
      'redis-benchmark XADD unpipelined',
      unpipelined.rps,
      'ops/s',
    );
    report(
      `cluster durable messages between two node processes, delivered+acked (${count(D)})`,
      durable.rate,
      'msgs/s',
      'redis-benchmark XADD -P 16',
      pipelined.rps,
      'ops/s',
    );
    report(
      `cluster durable messages between two node processes, delivered+acked (${count(D)})`,
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
  await (await import('./cluster-durable.js')).run();
  await (await import('./cluster-failover.js')).run();
  await (await import('./cluster-boots.js')).run();
}
