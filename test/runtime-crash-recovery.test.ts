import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../models/database.js';
import { createTestDatabase } from './helpers/database.js';
import { eventually } from './helpers/drive.js';
import { defineCounterModel, type CounterRow } from './fixtures/counter-kind.js';

const fixture = fileURLToPath(new URL('./fixtures/counter-node.ts', import.meta.url));
const ACTORS = 10;
const PER_ACTOR = 100;
const TOTAL = ACTORS * PER_ACTOR;

function startNode(mode: 'produce' | 'resume', url: string): { child: ChildProcess; output: string[] } {
  const child = spawn(process.execPath, ['--import=tsx', fixture, mode, url, String(ACTORS), String(PER_ACTOR), '5'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  return { child, output };
}

test('kill -9 mid-run, then restart: every accepted message is applied exactly once, in order', async (t) => {
  const database = await createTestDatabase('crash-recovery');
  const db = await openDatabase(database.url);
  await defineCounterModel(db.sequelize);
  const handled = () => db.models.Inbox.count();

  const first = startNode('produce', database.url);
  await eventually(() => first.output.includes('accepted'), 120_000);
  await eventually(async () => (await handled()) >= TOTAL * 0.1, 120_000, 5);
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const atKill = await handled();
  t.log(`killed with ${atKill} of ${TOTAL} messages handled`);
  t.true(atKill >= TOTAL * 0.1 && atKill <= TOTAL * 0.9, `killed between 10% and 90% (${atKill})`);
  t.is((await db.models.Outbox.count()) + atKill, TOTAL, 'every accepted message is either handled or pending');

  const second = startNode('resume', database.url);
  await eventually(async () => (await handled()) === TOTAL && (await db.models.Outbox.count()) === 0, 120_000);
  second.child.kill('SIGKILL');
  await once(second.child, 'exit');

  const rows = (await db.sequelize.model('Counter').findAll({ raw: true })) as unknown as CounterRow[];
  t.is(rows.length, ACTORS);
  for (const row of rows) {
    t.like(row, { count: PER_ACTOR, total: (PER_ACTOR * (PER_ACTOR + 1)) / 2, last_seq: PER_ACTOR, out_of_order: 0 }, row.id);
  }
  t.is(await handled(), TOTAL, 'no message handled twice');
  t.is(await db.models.DeadLetter.count(), 0);
  await db.close();
  await database.drop();
});
