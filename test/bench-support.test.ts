import test from 'ava';
import { openDatabase } from '../models/database.js';
import { instanceRow } from '../bench/runtime/support.js';
import { dbTime, instanceTimes, LifecycleTimes } from '../bench/support.js';
import { VIR_DOMAIN_EVENT, type LifecycleEvent } from '../drivers/libvirt/virt.js';
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

// The host benchmark times real guests by libvirt's lifecycle events on a connection of its own: an event that
// arrives before the benchmark asks for it (a Started event while POST /servers is still answering) must count.

test('lifecycle times: the first of each event per domain, whether it came before or after it was asked for', async (t) => {
  let listener: ((e: LifecycleEvent) => void) | undefined;
  let clock = 0;
  const times = new LifecycleTimes(
    {
      onLifecycle: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    },
    () => clock,
  );
  const emit = (uuid: string, event: number) => listener?.({ uuid, name: uuid, event, detail: 0 });
  clock = 5;
  emit('a', VIR_DOMAIN_EVENT.STARTED);
  clock = 7;
  emit('a', VIR_DOMAIN_EVENT.STARTED);
  t.is(await times.at('a', VIR_DOMAIN_EVENT.STARTED), 5);
  const later = times.at('b', VIR_DOMAIN_EVENT.STOPPED);
  const again = times.at('b', VIR_DOMAIN_EVENT.STOPPED);
  clock = 9;
  emit('b', VIR_DOMAIN_EVENT.STARTED);
  emit('a', VIR_DOMAIN_EVENT.STOPPED);
  clock = 11;
  emit('b', VIR_DOMAIN_EVENT.STOPPED);
  t.deepEqual(await Promise.all([later, again]), [11, 11]);
  await t.throwsAsync(times.at('c', VIR_DOMAIN_EVENT.STARTED, 20), { message: /no lifecycle event 2 for domain c within 20 ms/ });
  times.close();
  t.is(listener, undefined);
});
