import test from 'ava';
import { DataTypes } from 'sequelize';
import { openDatabase } from '../models/database.js';
import { SqlScript, type SqliteConnection } from '../runtime/stores/sql-script.js';
import { createTestDatabase } from './helpers/database.js';

// Group commits write their rows as SQL literals in one script: what goes in must come back unchanged.
test('values written by a script read back as Sequelize writes and reads them', async (t) => {
  const database = await createTestDatabase('sql-script');
  const db = await openDatabase(database.url);
  const Thing = db.sequelize.define(
    'Thing',
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      text: { type: DataTypes.TEXT, allowNull: true },
      flag: { type: DataTypes.BOOLEAN, allowNull: false },
      n: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 7 },
      at: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'test_things', timestamps: false },
  );
  await Thing.sync();
  const at = new Date('2026-11-25T09:37:29.123Z');
  const tricky = ["it's", 'a "quote"', 'back\\slash', 'semi; DROP TABLE test_things; --', 'ünïcødé ✓', '', 'nul\0inside'];
  const rows = tricky.map((text, i) => ({ id: `t${i}`, text, flag: i % 2 === 0, at }));
  await db.sequelize.transaction(async (transaction) => {
    const script = new SqlScript(db.dialect);
    script.upsert('test_things', 'id', ['text', 'flag', 'n', 'at'], [...rows, { id: 'none', text: null, flag: false, at: null }], { n: 7 });
    await script.run(db.sequelize, transaction);
  });
  const read = await Thing.findAll({ order: [['id', 'ASC']] });
  const byId = new Map(read.map((r) => [r.get('id') as string, r.get({ plain: true }) as Record<string, unknown>]));
  for (const [i, text] of tricky.entries()) {
    const row = byId.get(`t${i}`)!;
    // PostgreSQL text cannot hold NUL: it is written as the two characters \0, as Sequelize writes it.
    t.is(row.text, db.dialect === 'postgres' ? text.replace('\0', '\\0') : text);
    t.is(Boolean(row.flag), i % 2 === 0);
    t.is(row.n, 7, 'a missing column takes its default');
    t.is((row.at as Date).toISOString(), at.toISOString());
  }
  t.like(byId.get('none'), { text: null, at: null });

  // An upsert updates the given columns of an existing key.
  await db.sequelize.transaction(async (transaction) => {
    const script = new SqlScript(db.dialect);
    script.upsert('test_things', 'id', ['text', 'flag', 'n', 'at'], [{ id: 't0', text: 'changed', flag: false, n: 1, at: null }]);
    script.deleteWhereIn('test_things', 'id', ['t1', "t2' OR '1'='1"]);
    await script.run(db.sequelize, transaction);
  });
  t.like((await Thing.findByPk('t0'))!.get({ plain: true }), { text: 'changed', n: 1, at: null });
  t.is(await Thing.count(), tricky.length, 'one row deleted; the quoted id matched nothing');
  t.throws(() => new SqlScript(db.dialect).literal({}), { message: /cannot store/ });
  t.throws(() => new SqlScript(db.dialect).literal(Number.NaN), { message: /cannot store/ });
  await db.close();
  await database.drop();
});

// The store's common group commit is one such script run alone, its fence a requirement the script checks itself.
test('a script run alone applies every statement, or none when a requirement or a write fails', async (t) => {
  const database = await createTestDatabase('sql-script-alone');
  const db = await openDatabase(database.url);
  const Thing = db.sequelize.define(
    'Thing',
    { id: { type: DataTypes.STRING(64), primaryKey: true }, flag: { type: DataTypes.BOOLEAN, allowNull: false } },
    { tableName: 'test_alone', timestamps: false },
  );
  await Thing.sync();
  const manager = db.sequelize.connectionManager as unknown as { getConnection(o: { uuid: string; type: string }): Promise<SqliteConnection> };
  const connection = db.dialect === 'sqlite' ? await manager.getConnection({ uuid: 'script-alone', type: 'SQLITE' }) : undefined;
  const ids = async () => (await Thing.findAll({ order: [['id', 'ASC']] })).map((r) => r.get('id'));
  const script = (build: (s: SqlScript) => void) => {
    const s = new SqlScript(db.dialect);
    build(s);
    return s.runAlone(db.sequelize, connection);
  };
  const empty = '(SELECT count(*) FROM test_alone) = 0';

  await script((s) => {
    s.require(empty);
    s.insert('test_alone', ['id', 'flag'], [{ id: 'a', flag: true }]);
  });
  t.deepEqual(await ids(), ['a'], 'the requirement held: written');

  await t.throwsAsync(
    script((s) => {
      s.require(empty);
      s.insert('test_alone', ['id', 'flag'], [{ id: 'b', flag: true }]);
    }),
  );
  t.deepEqual(await ids(), ['a'], 'the requirement failed: nothing written');

  await t.throwsAsync(
    script((s) => {
      s.insert('test_alone', ['id', 'flag'], [{ id: 'b', flag: true }]);
      s.insert('test_alone', ['id', 'flag'], [{ id: 'a', flag: false }]);
    }),
  );
  t.deepEqual(await ids(), ['a'], 'a later write failed: the earlier one is undone too');

  await script((s) => s.insert('test_alone', ['id', 'flag'], [{ id: 'c', flag: false }]));
  t.deepEqual(await ids(), ['a', 'c'], 'the connection is usable again: no transaction left open');
  await db.close();
  await database.drop();
});
