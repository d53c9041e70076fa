import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import type { Sequelize } from 'sequelize';
import { openDatabase } from '../models/database.js';
import { migrate, migrations } from '../models/migrate.js';
import * as m0005 from '../models/migrations/0005-boot-path.js';
import * as m0007 from '../models/migrations/0007-server-fields.js';
import * as m0008 from '../models/migrations/0008-instance-actions.js';
import * as m0013 from '../models/migrations/0013-nullable-descriptions.js';
import { createTestDatabase } from './helpers/database.js';
import { describeSchema, schemaDifferences, type TableSchema } from './helpers/schema.js';

// Databases made before the migrations were frozen got every column from 0002 (built then from the live models):
// these migrations add only the columns a database lacks, and going down and up again stands in for such a database.
test('the column-adding migrations go down and up again to the same columns, and add none that exist', async (t) => {
  const database = await createTestDatabase('migrations');
  const db = await openDatabase(database.url);
  const qi = db.sequelize.getQueryInterface();
  const columns = async (table: string) => Object.keys(await qi.describeTable(table)).sort();
  try {
    const instances = await columns('instances');
    const hosts = await columns('hosts');
    await m0007.up(qi);
    t.deepEqual(await columns('instances'), instances, 'nothing added where the columns exist');

    for (const m of [m0008, m0007, m0005]) await m.down(qi);
    const older = await columns('instances');
    for (const gone of ['flavor_name', 'locked_by', 'metadata', 'tags']) t.false(older.includes(gone), gone);
    t.false((await columns('hosts')).includes('boot_id'));

    for (const m of [m0005, m0007, m0008]) await m.up(qi);
    t.deepEqual(await columns('instances'), instances);
    t.deepEqual(await columns('hosts'), hosts);
  } finally {
    await db.close();
    await database.drop();
  }
});

// The migrations as the first release shipped them (0001–0005, frozen since as that release's code made its
// tables; checked then against a database that code made, on both dialects).
const FIRST_RELEASE = '0005-boot-path';

/** Two rows in every table, each column given a value of its type (auto-numbered keys left to the database). */
async function fillEveryTable(sequelize: Sequelize, schema: Record<string, TableSchema>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, { columns }] of Object.entries(schema)) {
    if (table === 'schema_migrations') continue;
    const rows = [1, 2].map((n) =>
      Object.fromEntries(
        Object.entries(columns).flatMap(([name, c]): Array<[string, unknown]> => {
          const type = c.type.toLowerCase();
          if (c.primaryKey && /int/.test(type)) return [];
          if (/bool|tinyint\(1\)/.test(type)) return [[name, n === 1]];
          if (/int/.test(type)) return [[name, n]];
          if (/float|double|real|numeric/.test(type)) return [[name, n + 0.5]];
          if (/date|time/.test(type)) return [[name, new Date(Date.UTC(2026, 10, 25, 9, n))]];
          return [[name, `r${n}`]];
        }),
      ),
    );
    await sequelize.getQueryInterface().bulkInsert(table, rows);
    counts[table] = rows.length;
  }
  return counts;
}

test('a database the first release made, holding rows, upgrades to exactly the schema a fresh database gets, column by column', async (t) => {
  const [old, fresh] = await Promise.all([createTestDatabase('migrations-upgrade'), createTestDatabase('migrations-fresh')]);
  const upgraded = await openDatabase(old.url, { migrate: false });
  const current = await openDatabase(fresh.url);
  try {
    await migrate(upgraded.sequelize, { to: FIRST_RELEASE });
    const release = await describeSchema(upgraded.sequelize);
    t.true(Object.keys(release).includes('instances') && !Object.keys(release).includes('key_pairs'), 'the first release had servers, not key pairs');
    const counts = await fillEveryTable(upgraded.sequelize, release);

    const applied = await migrate(upgraded.sequelize);
    t.deepEqual(applied, migrations.map(([name]) => name).slice(migrations.findIndex(([name]) => name === FIRST_RELEASE) + 1));
    t.deepEqual(schemaDifferences(await describeSchema(upgraded.sequelize), await describeSchema(current.sequelize)), []);
    for (const [table, count] of Object.entries(counts)) {
      const [[{ n }]] = (await upgraded.sequelize.query(`SELECT COUNT(*) AS n FROM ${table}`)) as [Array<{ n: number | string }>, unknown];
      t.is(Number(n), count, `${table} kept its rows`);
    }
  } finally {
    await upgraded.close();
    await current.close();
    await old.drop();
    await fresh.drop();
  }
});

// Every column as the models define it, and every index they declare; the migrations may add indexes the models
// leave out (the runtime's, the partial unique index on live flavor names).
test('the schema the migrations make is the one the models describe', async (t) => {
  const [migrated, synced] = await Promise.all([createTestDatabase('migrations-models'), createTestDatabase('migrations-sync')]);
  const a = await openDatabase(migrated.url);
  const b = await openDatabase(synced.url, { migrate: false });
  try {
    await b.sequelize.sync();
    const fromMigrations = await describeSchema(a.sequelize);
    delete fromMigrations.schema_migrations;
    const differences = schemaDifferences(fromMigrations, await describeSchema(b.sequelize));
    t.deepEqual(
      differences.filter((d) => !/: unexpected index /.test(d)),
      [],
    );
  } finally {
    await a.close();
    await b.close();
    await migrated.drop();
    await synced.drop();
  }
});

// Sequelize's SQLite column change copies the table and turned each column of the composite unique indexes into a
// unique column of its own; the schema comparison above lets extra indexes pass, so the rule is checked by use.
test('0013 keeps descriptions, takes NULL, and leaves names unique per domain only, down and up again', async (t) => {
  const database = await createTestDatabase('migrations-descriptions');
  const db = await openDatabase(database.url);
  const qi = db.sequelize.getQueryInterface();
  const stamp = { created_at: new Date(), updated_at: new Date() };
  const project = (id: string, name: string, description: string | null) =>
    qi.bulkInsert('identity_projects', [{ id, name, domain_id: 'd', parent_id: null, description, enabled: true, ...stamp }]);
  const descriptions = async () =>
    (
      (await qi.sequelize.query('SELECT id, description FROM identity_projects ORDER BY id'))[0] as Array<{ id: string; description: string | null }>
    ).map((r) => [r.id, r.description]);
  try {
    await project('p1', 'one', 'first');
    await project('p2', 'two', null);
    await t.throwsAsync(project('p3', 'one', 'again'), undefined, 'a name is unique within its domain');
    await m0013.down(qi);
    t.deepEqual(await descriptions(), [
      ['p1', 'first'],
      ['p2', ''],
    ]);
    await m0013.up(qi);
    await project('p3', 'three', null);
    t.deepEqual(await descriptions(), [
      ['p1', 'first'],
      ['p2', ''],
      ['p3', null],
    ]);
    await t.throwsAsync(project('p4', 'three', null), undefined, 'still unique by domain and name');
    await qi.bulkInsert('identity_users', [
      { id: 'u1', name: 'a', domain_id: 'd', default_project_id: null, description: null, email: null, enabled: true, password_hash: null, ...stamp },
    ]);
    await qi.bulkInsert('identity_users', [
      { id: 'u2', name: 'b', domain_id: 'd', default_project_id: null, description: null, email: null, enabled: true, password_hash: null, ...stamp },
    ]);
    t.pass();
  } finally {
    await db.close();
    await database.drop();
  }
});

// A migration that read the live models would change what it makes whenever a model changes: each one imports
// nothing but Sequelize's types and the table helpers, and writes its columns out.
test('every migration is a frozen definition: it imports no model', (t) => {
  const dir = new URL('../models/migrations/', import.meta.url);
  const files = readdirSync(dir).filter((f) => /^\d{4}-.*\.ts$/.test(f));
  t.true(files.length >= migrations.length);
  for (const file of files) {
    const imports = [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    t.deepEqual(
      imports.filter((i) => i !== 'sequelize' && i !== './create-table.js'),
      [],
      `${file} imports only sequelize and ./create-table.js`,
    );
  }
});
