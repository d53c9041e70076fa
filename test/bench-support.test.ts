import test from 'ava';
import { openDatabase } from '../models/database.js';
import { instanceRow } from '../bench/runtime/support.js';
import { dbTime, instanceTimes } from '../bench/support.js';
import { createTestDatabase } from './helpers/database.js';

// The compute and actions benchmarks take their figures from instance rows' own timestamps, read
// raw: a timestamp read back in the wrong zone or without its milliseconds would skew every figure.

test('instance timestamps read raw come back to the millisecond, in UTC, as they were written', async (t) => {
  const database = await createTestDatabase('bench-support');
  const db = await openDatabase(database.url);
  try {
    const created = new Date(Date.UTC(2026, 0, 1, 12, 0, 0, 123));
    const launched = new Date(created.getTime() + 4_567);
    const rows = [
      { ...instanceRow(1), created_at: created, launched_at: launched, updated_at: launched },
      { ...instanceRow(2), launched_at: null },
    ];
    await db.models.Instance.bulkCreate(rows);
    const times = await instanceTimes(db.sequelize, [rows[0].uuid, rows[1].uuid]);
    t.deepEqual(times.get(rows[0].uuid), { created: created.getTime(), launched: launched.getTime(), updated: launched.getTime() });
    t.is(times.get(rows[1].uuid)?.launched, undefined);
  } finally {
    await db.close();
    await database.drop();
  }
});

test('timestamps in the forms the drivers give are read as the same instant; anything else is refused', (t) => {
  const at = Date.UTC(2026, 11, 6, 9, 15, 30, 250);
  t.is(dbTime(new Date(at)), at);
  t.is(dbTime('2026-12-06 09:15:30.250 +00:00'), at);
  t.is(dbTime('2026-12-06 10:15:30.250 +01:00'), at);
  t.is(dbTime('2026-12-06 09:15:30.250'), at);
  t.throws(() => dbTime('yesterday'), { message: /unreadable timestamp/ });
});
