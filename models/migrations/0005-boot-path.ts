import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// Frozen: the tables exactly as this migration first made them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const specs: TableSpec[] = [
  {
    table: 'flavors',
    attributes: {
      id: { type: DataTypes.STRING(255), primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      memory_mb: { type: DataTypes.INTEGER, allowNull: false },
      vcpus: { type: DataTypes.INTEGER, allowNull: false },
      root_gb: { type: DataTypes.INTEGER, allowNull: false },
      ephemeral_gb: { type: DataTypes.INTEGER, allowNull: false },
      swap: { type: DataTypes.INTEGER, allowNull: false },
      rxtx_factor: { type: DataTypes.FLOAT, allowNull: false },
      is_public: { type: DataTypes.BOOLEAN, allowNull: false },
      disabled: { type: DataTypes.BOOLEAN, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
      deleted_at: { type: DataTypes.DATE, allowNull: true },
    },
    indexes: [{ fields: ['name'] }],
  },
  {
    table: 'quotas',
    attributes: {
      project_id: { type: DataTypes.STRING(255), primaryKey: true },
      resource: { type: DataTypes.STRING(64), primaryKey: true },
      hard_limit: { type: DataTypes.INTEGER, allowNull: false },
    },
  },
];

const added: AddedColumn[] = [
  ['instances', 'flavor_name', { type: DataTypes.STRING(255), allowNull: true }],
  ['hosts', 'boot_id', { type: DataTypes.STRING(64), allowNull: true }],
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
  await dropTables(qi, specs);
}
