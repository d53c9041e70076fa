import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { count, note, report, scaled, until } from '../report.js';
import { postgresDatabase, seedInstances, sqliteDatabase, type BenchDatabase } from './support.js';
import { openDatabase } from '../../models/database.js';

const ACTORS = scaled(1_000, 10);
const child = fileURLToPath(new URL('./recovery-node.ts', import.meta.url));

/**
 * (f) a killed node's restart until its 1,000 actors' pending messages are handled, vs a fresh node
 * given the same messages at its start: both cold processes, both timed from their first line to
 * the last commit.
 */
export async function recovery(): Promise<void> {
  await measure('sqlite', await sqliteDatabase(), await sqliteDatabase());
  const [a, b] = [await postgresDatabase(), await postgresDatabase()];
  if (a && b) await measure('postgres', a, b);
  else note('recovery on postgres: skipped, no PostgreSQL server answered');
}

async function run(mode: string, url: string, waitFor: RegExp): Promise<{ line: string; kill(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import=tsx', child, mode, url, String(ACTORS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await until(() => waitFor.test(out) || proc.exitCode !== null, 120_000);
  if (!waitFor.test(out)) throw new Error(`recovery child (${mode}) exited: ${out}`);
  return {
    line: out.match(waitFor)![0],
    kill: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGKILL');
        await once(proc, 'exit');
      }
    },
  };
}

const seeded = async (database: BenchDatabase) => {
  const db = await openDatabase(database.url);
  await seedInstances(db, ACTORS);
  await db.close();
};

async function measure(label: string, crashed: BenchDatabase, clean: BenchDatabase): Promise<void> {
  await seeded(crashed);
  const accepting = await run('accept', crashed.url, /accepted/);
  await accepting.kill();
  const recovering = await run('recover', crashed.url, /done ([\d.]+)/);
  await recovering.kill();

  await seeded(clean);
  const fresh = await run('clean', clean.url, /done ([\d.]+)/);
  await fresh.kill();
  await crashed.drop();
  await clean.drop();
  const ms = (r: { line: string }) => Number(r.line.split(' ')[1]);
  report(
    `recovery of ${count(ACTORS)} actors' pending messages on ${label} (restarted process, start to last commit)`,
    ms(recovering),
    'ms',
    'a fresh process sent the same messages at its start',
    ms(fresh),
  );
}
