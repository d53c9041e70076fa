import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { note, report, until } from '../report.js';
import { instance, instanceNode, postgresDatabase, seedInstances, sqliteDatabase, type BenchDatabase } from './support.js';
import { openDatabase } from '../../models/database.js';

const ACTORS = 1_000;
const child = fileURLToPath(new URL('./recovery-node.ts', import.meta.url));

/** (f) a killed node's restart until its 1,000 actors' pending messages are handled, vs the same work uncrashed. */
export async function recovery(): Promise<void> {
  await measure('sqlite', await sqliteDatabase(), await sqliteDatabase());
  const [a, b] = [await postgresDatabase(), await postgresDatabase()];
  if (a && b) await measure('postgres', a, b);
  else note('recovery on postgres: skipped, no PostgreSQL server answered');
}

async function run(mode: string, url: string, waitFor: RegExp): Promise<{ line: string; kill(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import=tsx', child, mode, url, String(ACTORS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  await until(() => waitFor.test(out) || proc.exitCode !== null, 120_000);
  if (!waitFor.test(out)) throw new Error(`recovery child (${mode}) exited: ${out}`);
  return { line: out.match(waitFor)![0], kill: async () => { if (proc.exitCode === null) { proc.kill('SIGKILL'); await once(proc, 'exit'); } } };
}

async function measure(label: string, crashed: BenchDatabase, clean: BenchDatabase): Promise<void> {
  const seeded = await openDatabase(crashed.url);
  await seedInstances(seeded, ACTORS);
  await seeded.close();
  const accepting = await run('accept', crashed.url, /accepted/);
  await accepting.kill();
  const recovering = await run('recover', crashed.url, /recovered ([\d.]+)/);
  const ms = Number(recovering.line.split(' ')[1]);
  await recovering.kill();

  // The same 1,000 messages on a node that never crashed, timed from the same starting point.
  const db = await openDatabase(clean.url);
  await seedInstances(db, ACTORS);
  await db.close();
  const t0 = performance.now();
  const bench = await instanceNode(clean.url);
  const stats = bench.node.kindRuntimes()[0].stats;
  await Promise.all(Array.from({ length: ACTORS }, (_, i) => bench.node.send(instance(i), 'update', { display_name: `clean-${i}` })));
  await until(() => stats.durable >= ACTORS);
  const baseline = performance.now() - t0;
  await bench.stop();
  await crashed.drop();
  await clean.drop();
  report(`recovery of 1,000 actors' pending messages on ${label}`, ms, 'ms', 'same messages without a crash', baseline);
}
