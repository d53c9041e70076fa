import { count, note, report, scaled } from '../report.js';
import { inBatches } from '../support.js';
import { instanceNode, postgresDatabase, renamable, seedInstances, sqliteDatabase, uuidOf, type BenchDatabase } from './support.js';

const ACTORS = scaled(1_000, 10);
const MESSAGES = ACTORS * 5;

/**
 * (c) durable messages/s across 1,000 actors vs one Sequelize transaction per update. Both sides
 * write the same 5,000 changes to the same rows with the same number in flight (every actor's
 * changes at once, each actor's in order), and both stop the clock when the last commit is durable:
 * the runtime's asks are answered only after their handler's commit.
 */
export async function durable(): Promise<void> {
  await measure('sqlite', await sqliteDatabase());
  const pg = await postgresDatabase();
  if (pg) await measure('postgres', pg);
  else note('durable messages on postgres: skipped, no PostgreSQL server answered');
}

async function measure(label: string, database: BenchDatabase): Promise<void> {
  const bench = await instanceNode(database.url);
  await seedInstances(bench.db, ACTORS);
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => bench.node.ask(renamable(i), 'get', {})));
  const before = { ...bench.store.stats };
  const t0 = performance.now();
  const asks: Promise<unknown>[] = [];
  for (let m = 0; m < MESSAGES; m++) asks.push(bench.node.ask(renamable(m % ACTORS), 'rename', { display_name: `renamed-${m}` }));
  await Promise.all(asks);
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  const transactions = bench.store.stats.transactions - before.transactions;
  const operations = bench.store.stats.operations - before.operations;

  // The same changes, ACTORS writers at once (one per row, as the actors are), each change its own
  // transaction. PostgreSQL takes them through the pool the node has (10). SQLite takes one writer:
  // waiting in its busy handler would hold libuv's threads, which the holder's COMMIT needs, so the
  // writers wait their turn here instead (the node's group commit also has one transaction in flight).
  const { Instance } = bench.db.models;
  let turn: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const mine = turn.then(work);
    turn = mine.catch(() => undefined);
    return mine;
  };
  const update = (a: number, m: number) =>
    bench.db.sequelize.transaction((transaction) =>
      Instance.update({ display_name: `direct-${m}`, updated_at: new Date() }, { where: { uuid: uuidOf(a) }, transaction }),
    );
  const b0 = performance.now();
  await inBatches(ACTORS, ACTORS, async (a) => {
    for (let m = a; m < MESSAGES; m += ACTORS) await (bench.db.dialect === 'sqlite' ? serial(() => update(a, m)) : update(a, m));
  });
  const baseline = MESSAGES / ((performance.now() - b0) / 1000);
  await bench.stop();
  await database.drop();
  report(
    `durable messages on ${label} (${count(MESSAGES)} to ${count(ACTORS)} actors at once, until the last commit; mean batch ${(operations / transactions).toFixed(1)}, max ${bench.store.stats.maxBatch})`,
    rate,
    'msg/s',
    `the same updates, ${count(ACTORS)} at once, one Sequelize transaction each`,
    baseline,
  );
}
