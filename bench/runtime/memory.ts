import nact from 'nact';
import { report } from '../report.js';
import { heapUsed, instance, instanceNode, seedInstances, sqliteDatabase } from './support.js';

const ACTORS = 100_000;

/** (d) heap per activated idle actor holding an instance row vs a bare nact actor. */
export async function memory(): Promise<void> {
  const system = nact.start();
  const parent = nact.spawnStateless(system, () => {}, 'parent');
  const r0 = heapUsed();
  for (let i = 0; i < ACTORS; i++) nact.spawn(parent, (s: unknown) => s, `a${i}`);
  const bare = (heapUsed() - r0) / ACTORS;
  nact.stop(system);

  const database = await sqliteDatabase();
  const bench = await instanceNode(database.url);
  await seedInstances(bench.db, ACTORS);
  const h0 = heapUsed();
  for (let start = 0; start < ACTORS; start += 5_000) {
    await Promise.all(Array.from({ length: 5_000 }, (_, k) => bench.node.ask(instance(start + k), 'get', {})));
  }
  const active = bench.node.activeCount('instance');
  const perActor = (heapUsed() - h0) / active;
  await bench.stop();
  await database.drop();
  report(`heap per activated idle actor (${active.toLocaleString('en')} actors, instance row each)`, perActor, 'B', 'bare nact actor', bare);
}
