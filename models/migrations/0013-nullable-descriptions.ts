import { DataTypes, type QueryInterface } from 'sequelize';

// Keystone keeps a description given as `null` and shows it as null (and a role or user made without one has
// none): the identity tables' descriptions take NULL from here on. Frozen like the others: the columns written out.
const tables = ['identity_domains', 'identity_projects', 'identity_users', 'identity_roles'];

// Sequelize changes a SQLite column by copying the table, and the copy turns each column of a composite unique
// index into a unique column of its own (a second project in a domain is then refused). SQLite (3.35+) adds,
// drops and renames columns in place instead, leaving every index as it was.
async function replaceSqliteColumn(qi: QueryInterface, table: string, definition: string, value: string): Promise<void> {
  const t = qi.quoteIdentifier(table);
  await qi.sequelize.query(`ALTER TABLE ${t} ADD COLUMN description_next ${definition}`);
  await qi.sequelize.query(`UPDATE ${t} SET description_next = ${value}`);
  await qi.sequelize.query(`ALTER TABLE ${t} DROP COLUMN description`);
  await qi.sequelize.query(`ALTER TABLE ${t} RENAME COLUMN description_next TO description`);
}

const onSqlite = (qi: QueryInterface) => qi.sequelize.getDialect() === 'sqlite';

export async function up(qi: QueryInterface): Promise<void> {
  for (const table of tables) {
    if (onSqlite(qi)) await replaceSqliteColumn(qi, table, 'TEXT', 'description');
    // The default named as undefined, so none is kept.
    else await qi.changeColumn(table, 'description', { type: DataTypes.TEXT, allowNull: true, defaultValue: undefined });
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const table of tables) {
    if (onSqlite(qi)) {
      await replaceSqliteColumn(qi, table, "TEXT NOT NULL DEFAULT ''", "COALESCE(description, '')");
    } else {
      await qi.bulkUpdate(table, { description: '' }, { description: null });
      await qi.changeColumn(table, 'description', { type: DataTypes.TEXT, allowNull: false, defaultValue: '' });
    }
  }
}
