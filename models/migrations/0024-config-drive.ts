import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, createTables, dropTables, removeColumns, type AddedColumn, type TableSpec } from './create-table.js';

// What a config drive tells a guest: the key pair's public key as it was at boot (Nova's instances.key_data), the
// boot's admin password (Nova hands it to the compute host in the build request; here the build is a durable
// message chain, so it waits on the row until the host writes the drive), and the integer ids EC2 names instances
// and images by (Nova's instance_id_mappings and s3_images). Frozen: as this migration made them.
const added: AddedColumn[] = [
  ['instances', 'key_data', { type: DataTypes.TEXT, allowNull: true }],
  ['instances', 'admin_pass', { type: DataTypes.TEXT, allowNull: true }],
];

const idMapping = (table: string): TableSpec => ({
  table,
  attributes: {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    uuid: { type: DataTypes.STRING(36), allowNull: false },
  },
  indexes: [{ fields: ['uuid'], unique: true }],
});
const specs: TableSpec[] = [idMapping('instance_id_mappings'), idMapping('s3_images')];

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
  await createTables(qi, specs);
}

export async function down(qi: QueryInterface): Promise<void> {
  await dropTables(qi, specs);
  await removeColumns(qi, added);
}
