import { DataTypes, type QueryInterface } from 'sequelize';

// Placement (models/server-group.ts, models/aggregate.ts): server groups and their members, host aggregates and
// their hosts. A frozen definition: the columns as this migration made them, whatever the models say later.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('server_groups', {
    uuid: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: false },
    project_id: { type: DataTypes.STRING(255), allowNull: false },
    user_id: { type: DataTypes.STRING(255), allowNull: false },
    policy: { type: DataTypes.STRING(32), allowNull: false },
    rules: { type: DataTypes.TEXT, allowNull: false },
    host: { type: DataTypes.STRING(255), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('server_groups', ['project_id']);
  await qi.createTable('server_group_members', {
    instance_uuid: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    group_uuid: { type: DataTypes.STRING(36), allowNull: false },
    host: { type: DataTypes.STRING(255), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('server_group_members', ['group_uuid']);
  await qi.createTable('aggregates', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
    uuid: { type: DataTypes.STRING(36), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(255), allowNull: false },
    metadata: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.createTable('aggregate_hosts', {
    aggregate_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    host: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  });
  await qi.addIndex('aggregate_hosts', ['host']);
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const table of ['aggregate_hosts', 'aggregates', 'server_group_members', 'server_groups']) await qi.dropTable(table);
}
