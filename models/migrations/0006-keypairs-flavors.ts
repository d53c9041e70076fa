import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'flavor_extra_specs',
    attributes: {
      flavor_id: { type: DataTypes.STRING(255), primaryKey: true },
      key: { type: DataTypes.STRING(255), primaryKey: true },
      value: { type: DataTypes.STRING(255), allowNull: false },
    },
  },
  {
    table: 'flavor_projects',
    attributes: {
      flavor_id: { type: DataTypes.STRING(255), primaryKey: true },
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
    },
    indexes: [{ fields: ['project_id'] }],
  },
  {
    table: 'key_pairs',
    attributes: {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      user_id: { type: DataTypes.STRING(255), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      fingerprint: { type: DataTypes.STRING(255), allowNull: false },
      public_key: { type: DataTypes.TEXT, allowNull: false },
      type: { type: DataTypes.STRING(16), allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: true },
    },
    indexes: [{ fields: ['user_id', 'name'], unique: true }],
  },
];

// Nova's flavor names are unique; a deleted flavor's row is kept for the servers booted from it
// and gives its name up, so the constraint covers the live rows only.
const LIVE_NAME_INDEX = 'flavors_live_name_unique';

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await qi.addIndex('flavors', ['name'], { name: LIVE_NAME_INDEX, unique: true, where: { deleted_at: null } });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('flavors', LIVE_NAME_INDEX);
  await dropTables(qi, specs);
}
