import type { QueryInterface } from 'sequelize';
import * as image from '../images/image.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [
  image,
  { table: image.propertiesTable, attributes: image.propertyAttributes },
  { table: image.tagsTable, attributes: image.tagAttributes },
  { table: image.membersTable, attributes: image.memberAttributes, indexes: [{ fields: ['member'] }] },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
