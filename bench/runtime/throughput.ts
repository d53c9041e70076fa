import nact from 'nact';
import { report, scaled, until } from '../report.js';
import { instance, instanceNode, instanceRow, seedInstances, sqliteDatabase } from './support.js';

type Ref = Parameters<typeof nact.dispatch>[0];
// nact's typings omit the sender its dispatch takes third.
const dispatch: (ref: Ref, message: unknown, sender?: Ref) => void = nact.dispatch;

const best = async (runs: number, f: () => Promise<number>) => {
  let top = 0;
  for (let i = 0; i < runs; i++) top = Math.max(top, await f());
  return top;
};

/** (a) transient messages/s and (b) request/reply round trips/s, each against raw nact. */
export async function throughput(): Promise<void> {
  const N = scaled(200_000, 1_000);
  const ROUND_TRIPS = scaled(20_000, 100);
  const row = instanceRow(0);

  const system = nact.start();
  let handled = 0;
  const raw = nact.spawn(
    system,
    (state: unknown, msg: { sender?: Ref }) => {
      handled++;
      if (msg.sender) dispatch(msg.sender, state);
      return state;
    },
    'raw',
    { initialState: row },
  ) as unknown as Ref;
  const rawRate = await best(3, async () => {
    const target = handled + N;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) dispatch(raw, { type: 'get' }, system);
    await until(() => handled >= target);
    return N / ((performance.now() - t0) / 1000);
  });
  const rawTrips = await best(3, async () => {
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await nact.query(raw, (sender: Ref) => ({ sender }), 5_000);
    return ROUND_TRIPS / ((performance.now() - t0) / 1000);
  });
  nact.stop(system);

  const database = await sqliteDatabase();
  const bench = await instanceNode(database.url);
  await seedInstances(bench.db, 1);
  const ref = instance(0);
  await bench.node.ask(ref, 'get', {});
  const stats = bench.node.kindRuntimes()[0].stats;
  const rate = await best(3, async () => {
    const target = stats.transient + N;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) bench.node.tell(ref, 'get', {});
    await until(() => stats.transient >= target);
    return N / ((performance.now() - t0) / 1000);
  });
  const trips = await best(3, async () => {
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await bench.node.ask(ref, 'get', {});
    return ROUND_TRIPS / ((performance.now() - t0) / 1000);
  });
  await bench.stop();
  await database.drop();

  report('transient messages through the runtime', rate, 'msg/s', 'raw nact dispatch', rawRate);
  report('request/reply round trips', trips, 'req/s', 'raw nact query', rawTrips);
}
