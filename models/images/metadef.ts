import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

/** A Glance metadata definitions namespace. */
export interface MetadefNamespaceRow {
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: boolean;
  owner: string;
  created_at: Date;
  updated_at: Date;
}
export interface MetadefResourceTypeRow {
  name: string;
  protected: boolean;
  created_at: Date;
  updated_at: Date;
}
/**
 * What a namespace holds, one row each: an object, a property, a tag, or its association with a resource type;
 * `body` is the entry's JSON (a property's schema; an object's description, required and properties; an
 * association's prefix and properties_target; a tag's nothing).
 */
export interface MetadefEntryRow {
  namespace: string;
  kind: 'object' | 'property' | 'tag' | 'association';
  name: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

export const namespacesTable = 'metadef_namespaces';
export const resourceTypesTable = 'metadef_resource_types';
export const entriesTable = 'metadef_entries';

export const namespaceAttributes: ModelAttributes = {
  namespace: { type: DataTypes.STRING(80), primaryKey: true },
  display_name: { type: DataTypes.STRING(80), allowNull: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  visibility: { type: DataTypes.STRING(32), allowNull: false },
  protected: { type: DataTypes.BOOLEAN, allowNull: false },
  owner: { type: DataTypes.STRING(255), allowNull: false },
  ...timestamps,
};
export const resourceTypeAttributes: ModelAttributes = {
  name: { type: DataTypes.STRING(80), primaryKey: true },
  protected: { type: DataTypes.BOOLEAN, allowNull: false },
  ...timestamps,
};
export const entryAttributes: ModelAttributes = {
  namespace: { type: DataTypes.STRING(80), primaryKey: true },
  kind: { type: DataTypes.STRING(16), primaryKey: true },
  name: { type: DataTypes.STRING(255), primaryKey: true },
  body: { type: DataTypes.TEXT, allowNull: false },
  ...timestamps,
};

export const define = (sequelize: Sequelize) => ({
  MetadefNamespace: defineRow<MetadefNamespaceRow>(sequelize, 'MetadefNamespace', namespaceAttributes, {
    tableName: namespacesTable,
    timestamps: false,
    indexes: [{ fields: ['owner'] }],
  }),
  MetadefResourceType: defineRow<MetadefResourceTypeRow>(sequelize, 'MetadefResourceType', resourceTypeAttributes, {
    tableName: resourceTypesTable,
    timestamps: false,
  }),
  MetadefEntry: defineRow<MetadefEntryRow>(sequelize, 'MetadefEntry', entryAttributes, {
    tableName: entriesTable,
    timestamps: false,
    indexes: [{ fields: ['kind', 'name'] }],
  }),
});
