import nact from 'nact';
import { report, scaled } from '../report.js';
import { heapUsed, instance, instanceNode, seedInstances, SPREAD, sqliteDatabase } from './support.js';

const ACTORS = scaled(100_000, 1_000);

/**
 * (d) heap per activated idle actor holding an instance row vs a bare nact actor. The rows spread over
 * 100 projects, 400 users, 30 hosts and 40 images (support.ts), as a real cloud's do, so the values the
 * runtime shares between actors are shared no more than they would be.
 */
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
    await Promise.all(Array.from({ length: Math.min(5_000, ACTORS - start) }, (_, k) => bench.node.ask(instance(start + k), 'get', {})));
  }
  const active = bench.node.activeCount('instance');
  const perActor = (heapUsed() - h0) / active;
  await bench.stop();
  await database.drop();
  const spread = `${SPREAD.projects} projects, ${SPREAD.projects * SPREAD.usersPerProject} users, ${SPREAD.hosts} hosts, ${SPREAD.images} images`;
  report(
    `heap per activated idle actor (${active.toLocaleString('en')} actors, instance row each; ${spread})`,
    perActor,
    'B',
    'bare nact actor',
    bare,
  );
}
