import { note, report, until } from '../report.js';
import { instance, instanceNode, postgresDatabase, seedInstances, sqliteDatabase, uuidOf, type BenchDatabase } from './support.js';

const ACTORS = 1_000;
const MESSAGES = 5_000;
const BASELINE = 1_000;

/** (c) durable messages/s across 1,000 actors vs one Sequelize transaction per update. */
export async function durable(): Promise<void> {
  await measure('sqlite', await sqliteDatabase());
  const pg = await postgresDatabase();
  if (pg) await measure('postgres', pg);
  else note('durable messages on postgres: skipped, no PostgreSQL server answered');
}

async function measure(label: string, database: BenchDatabase): Promise<void> {
  const bench = await instanceNode(database.url);
  await seedInstances(bench.db, ACTORS);
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => bench.node.ask(instance(i), 'get', {})));
  const stats = bench.node.kindRuntimes()[0].stats;
  const before = { ...bench.store.stats };
  const target = stats.durable + MESSAGES;
  const t0 = performance.now();
  const sends: Promise<void>[] = [];
  for (let m = 0; m < MESSAGES; m++) sends.push(bench.node.send(instance(m % ACTORS), 'update', { display_name: `renamed-${m}` }));
  await Promise.all(sends);
  await until(() => stats.durable >= target);
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  const transactions = bench.store.stats.transactions - before.transactions;
  const operations = bench.store.stats.operations - before.operations;

  const { Instance } = bench.db.models;
  const b0 = performance.now();
  for (let m = 0; m < BASELINE; m++) {
    await bench.db.sequelize.transaction((transaction) =>
      Instance.update({ display_name: `direct-${m}`, updated_at: new Date() }, { where: { uuid: uuidOf(m % ACTORS) }, transaction }));
  }
  const baseline = BASELINE / ((performance.now() - b0) / 1000);
  await bench.stop();
  await database.drop();
  report(`durable messages on ${label} (1,000 actors, mean batch ${(operations / transactions).toFixed(1)}, max ${bench.store.stats.maxBatch})`,
    rate, 'msg/s', 'one Sequelize transaction per update', baseline);
}
