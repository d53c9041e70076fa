import type { QueryInterface } from 'sequelize';
import * as flavor from '../flavor.js';
import * as keypair from '../keypair.js';
import { createTables, dropTables, type TableSpec } from './create-table.js';

const specs: TableSpec[] = [
  { table: flavor.extraSpecsTable, attributes: flavor.extraSpecAttributes },
  { table: flavor.projectsTable, attributes: flavor.projectAttributes, indexes: flavor.projectIndexes },
  keypair,
];

// Nova's flavor names are unique; a deleted flavor's row is kept for the servers booted from it
// and gives its name up, so the constraint covers the live rows only.
const LIVE_NAME_INDEX = 'flavors_live_name_unique';

export async function up(qi: QueryInterface): Promise<void> {
  await createTables(qi, specs);
  await qi.addIndex(flavor.table, ['name'], { name: LIVE_NAME_INDEX, unique: true, where: { deleted_at: null } });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex(flavor.table, LIVE_NAME_INDEX);
  await dropTables(qi, specs);
}
