import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/**
 * A port the compute service attached to a server: made for it (removed with it) or given by the user
 * (`preserve_on_delete`: only unbound when the server goes), in the order the boot asked for them.
 */
export interface InstancePortRow {
  port_id: string;
  instance_uuid: string;
  network_id: string;
  preserve_on_delete: boolean;
  tag: string | null;
  position: number;
  created_at: Date;
}

export const table = 'instance_ports';

export const attributes: ModelAttributes = {
  port_id: { type: DataTypes.STRING(36), primaryKey: true },
  instance_uuid: { type: DataTypes.STRING(36), allowNull: false },
  network_id: { type: DataTypes.STRING(36), allowNull: false },
  preserve_on_delete: { type: DataTypes.BOOLEAN, allowNull: false },
  tag: { type: DataTypes.STRING(60), allowNull: true },
  position: { type: DataTypes.INTEGER, allowNull: false },
  created_at: { type: DataTypes.DATE, allowNull: false },
};

export const indexes = [{ fields: ['instance_uuid'] }];

export const define = (sequelize: Sequelize) =>
  defineRow<InstancePortRow>(sequelize, 'InstancePort', attributes, { tableName: table, timestamps: false, indexes });
