import { SimulatedClock } from '../../runtime/clock.js';
import { note, percentile, report, scaled } from '../report.js';
import { instance, instanceNode, postgresDatabase, seedInstances, sqliteDatabase, uuidOf, type BenchDatabase } from './support.js';

const ACTORS = scaled(1_000, 100);

/** (e) reactivating a passivated actor from the database vs a primary-key read of its row. */
export async function reactivation(): Promise<void> {
  await measure('sqlite', await sqliteDatabase());
  const pg = await postgresDatabase();
  if (pg) await measure('postgres', pg);
  else note('reactivation on postgres: skipped, no PostgreSQL server answered');
}

async function measure(label: string, database: BenchDatabase): Promise<void> {
  const clock = new SimulatedClock(Date.now());
  const bench = await instanceNode(database.url, { clock, passivateAfterMs: 1_000 });
  await seedInstances(bench.db, ACTORS);
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => bench.node.ask(instance(i), 'get', {})));
  await clock.advance(2_000);
  bench.node.passivateIdle();
  if (bench.node.activeCount() !== 0) throw new Error('actors did not passivate');

  const latencies: number[] = [];
  for (let i = 0; i < ACTORS; i++) {
    const t0 = performance.now();
    await bench.node.ask(instance(i), 'get', {});
    latencies.push(performance.now() - t0);
  }
  const reads: number[] = [];
  for (let i = 0; i < ACTORS; i++) {
    const t0 = performance.now();
    await bench.db.models.Instance.findByPk(uuidOf(i));
    reads.push(performance.now() - t0);
  }
  await bench.stop();
  await database.drop();
  latencies.sort((a, b) => a - b);
  reads.sort((a, b) => a - b);
  for (const p of [50, 99]) {
    report(`reactivation p${p} on ${label}`, percentile(latencies, p), 'ms', 'primary-key read', percentile(reads, p));
  }
}
