import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { timestamps } from '../columns.js';
import { defineRow } from '../typed.js';

export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ServiceRow {
  id: string;
  type: string;
  name: string | null;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface EndpointRow {
  id: string;
  service_id: string;
  interface: 'public' | 'internal' | 'admin';
  region_id: string | null;
  url: string;
  enabled: boolean;
  /** The configured service this endpoint was seeded from, while its URL still follows the configuration; null once changed through the API. */
  seed: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A configured service that was seeded once: deleting it through the API is not undone by the next start. */
export interface CatalogSeedRow {
  key: string;
  created_at: Date;
}

export const regionsTable = 'identity_regions';
export const servicesTable = 'identity_services';
export const endpointsTable = 'identity_endpoints';
export const seedsTable = 'identity_catalog_seeds';

const regionAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(255), primaryKey: true },
  description: { type: DataTypes.STRING(255), allowNull: false },
  parent_region_id: { type: DataTypes.STRING(255), allowNull: true },
  ...timestamps,
};
const serviceAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  type: { type: DataTypes.STRING(255), allowNull: false },
  name: { type: DataTypes.STRING(255), allowNull: true },
  description: { type: DataTypes.TEXT, allowNull: true },
  enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  ...timestamps,
};
const endpointAttributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  service_id: { type: DataTypes.STRING(64), allowNull: false },
  interface: { type: DataTypes.STRING(8), allowNull: false },
  region_id: { type: DataTypes.STRING(255), allowNull: true },
  url: { type: DataTypes.TEXT, allowNull: false },
  enabled: { type: DataTypes.BOOLEAN, allowNull: false },
  seed: { type: DataTypes.STRING(255), allowNull: true },
  ...timestamps,
};
const seedAttributes: ModelAttributes = {
  key: { type: DataTypes.STRING(255), primaryKey: true },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const defineRegions = (sequelize: Sequelize) =>
  defineRow<RegionRow>(sequelize, 'Region', regionAttributes, { tableName: regionsTable, timestamps: false });
export const defineServices = (sequelize: Sequelize) =>
  defineRow<ServiceRow>(sequelize, 'CatalogService', serviceAttributes, {
    tableName: servicesTable,
    timestamps: false,
    indexes: [{ fields: ['type'] }],
  });
export const defineEndpoints = (sequelize: Sequelize) =>
  defineRow<EndpointRow>(sequelize, 'Endpoint', endpointAttributes, {
    tableName: endpointsTable,
    timestamps: false,
    indexes: [{ fields: ['service_id'] }, { fields: ['seed'] }],
  });
export const defineSeeds = (sequelize: Sequelize) =>
  defineRow<CatalogSeedRow>(sequelize, 'CatalogSeed', seedAttributes, { tableName: seedsTable, timestamps: false });
