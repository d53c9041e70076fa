import { DataTypes, type QueryInterface } from 'sequelize';

// Keystone keeps a description given as `null` and shows it as null (and a role or user made without one has
// none): the identity tables' descriptions take NULL from here on. Frozen like the others: the columns written out.
const tables = ['identity_domains', 'identity_projects', 'identity_users', 'identity_roles'];

// SQLite changes a column by copying the table, which keeps single-column unique constraints but drops the
// tables' other indexes: the ones 0003 made are put back when missing.
const indexes: Array<[table: string, fields: string[]]> = [
  ['identity_projects', ['domain_id', 'name']],
  ['identity_users', ['domain_id', 'name']],
];

async function restoreIndexes(qi: QueryInterface): Promise<void> {
  for (const [table, fields] of indexes) {
    const present = (await qi.showIndex(table)) as Array<{ fields: Array<{ attribute: string }> }>;
    if (!present.some((i) => i.fields.map((f) => f.attribute).join() === fields.join())) await qi.addIndex(table, fields, { unique: true });
  }
}

export async function up(qi: QueryInterface): Promise<void> {
  // The default named as undefined: SQLite's copy would otherwise carry the old default over.
  for (const table of tables) await qi.changeColumn(table, 'description', { type: DataTypes.TEXT, allowNull: true, defaultValue: undefined });
  await restoreIndexes(qi);
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const table of tables) {
    await qi.bulkUpdate(table, { description: '' }, { description: null });
    await qi.changeColumn(table, 'description', { type: DataTypes.TEXT, allowNull: false, defaultValue: '' });
  }
  await restoreIndexes(qi);
}
