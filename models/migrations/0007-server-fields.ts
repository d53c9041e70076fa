import { DataTypes, type QueryInterface } from 'sequelize';
import { addColumnsIfMissing, removeColumns, type AddedColumn } from './create-table.js';

// Frozen: the columns exactly as this migration first added them, written out rather than read from the live
// models, so a database made now and one made then are the same; a later model change needs a migration of its own.
const added: AddedColumn[] = Object.entries({
  metadata: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
  tags: { type: DataTypes.TEXT, allowNull: false, defaultValue: '[]' },
  user_data: { type: DataTypes.TEXT, allowNull: true },
  access_ip_v4: { type: DataTypes.STRING(39), allowNull: true },
  access_ip_v6: { type: DataTypes.STRING(39), allowNull: true },
  config_drive: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '' },
  auto_disk_config: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  root_device_name: { type: DataTypes.STRING(255), allowNull: true },
  security_groups: { type: DataTypes.TEXT, allowNull: false, defaultValue: '["default"]' },
  trusted_certs: { type: DataTypes.TEXT, allowNull: true },
  swap: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  flavor_extra_specs: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
  requested_host: { type: DataTypes.STRING(255), allowNull: true },
  force_host: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
}).map(([column, spec]) => ['instances', column, spec]);

export async function up(qi: QueryInterface): Promise<void> {
  await addColumnsIfMissing(qi, added);
}

export async function down(qi: QueryInterface): Promise<void> {
  await removeColumns(qi, added);
}
