import { DataTypes, type QueryInterface } from 'sequelize';
import { createTables, dropTables, type TableSpec } from './create-table.js';

// Console tokens as Nova keeps them (console_auth_tokens): only the SHA-256 of the token handed out, the console
// it opens (address and port on the guest's compute node) and its expiry. Frozen: as this migration made them.
const specs: TableSpec[] = [
  {
    table: 'console_auth_tokens',
    attributes: {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      token_hash: { type: DataTypes.STRING(64), allowNull: false },
      console_type: { type: DataTypes.STRING(32), allowNull: false },
      host: { type: DataTypes.STRING(255), allowNull: false },
      port: { type: DataTypes.INTEGER, allowNull: false },
      internal_access_path: { type: DataTypes.STRING(255), allowNull: true },
      instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
      compute_host: { type: DataTypes.STRING(255), allowNull: false },
      expires: { type: DataTypes.DATE, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    },
    indexes: [{ fields: ['token_hash'], unique: true }, { fields: ['instance_uuid'] }, { fields: ['expires'] }],
  },
];

export const up = (qi: QueryInterface) => createTables(qi, specs);
export const down = (qi: QueryInterface) => dropTables(qi, specs);
