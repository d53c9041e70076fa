import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Glance's metadata definitions: namespaces, resource types, and what a namespace holds (objects, properties, tags,
// resource type associations) as one row each. Frozen: as this migration made them.
const times = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};
const specs: TableSpec[] = [
  {
    table: 'metadef_namespaces',
    attributes: {
      namespace: { type: DataTypes.STRING(80), primaryKey: true },
      display_name: { type: DataTypes.STRING(80), allowNull: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      visibility: { type: DataTypes.STRING(32), allowNull: false },
      protected: { type: DataTypes.BOOLEAN, allowNull: false },
      owner: { type: DataTypes.STRING(255), allowNull: false },
      ...times,
    },
    indexes: [{ fields: ['owner'] }],
  },
  {
    table: 'metadef_resource_types',
    attributes: {
      name: { type: DataTypes.STRING(80), primaryKey: true },
      protected: { type: DataTypes.BOOLEAN, allowNull: false },
      ...times,
    },
  },
  {
    table: 'metadef_entries',
    attributes: {
      namespace: { type: DataTypes.STRING(80), primaryKey: true },
      kind: { type: DataTypes.STRING(16), primaryKey: true },
      name: { type: DataTypes.STRING(255), primaryKey: true },
      body: { type: DataTypes.TEXT, allowNull: false },
      ...times,
    },
    indexes: [{ fields: ['kind', 'name'] }],
  },
];

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
}
