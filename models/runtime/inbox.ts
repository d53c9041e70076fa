import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from '../typed.js';

/** Ids of handled durable messages and their replies, so a redelivery is answered, not handled again. */
export interface InboxRow {
  id: string;
  kind: string;
  actor_id: string;
  ok: boolean;
  reply: string | null;
  handled_at: Date;
}

export const table = 'actor_inbox';

export const attributes: ModelAttributes = {
  id: { type: DataTypes.STRING(64), primaryKey: true },
  kind: { type: DataTypes.STRING(32), allowNull: false },
  actor_id: { type: DataTypes.STRING(255), allowNull: false },
  ok: { type: DataTypes.BOOLEAN, allowNull: false },
  reply: { type: DataTypes.TEXT, allowNull: true },
  handled_at: { type: DataTypes.DATE, allowNull: false },
};

export const define = (sequelize: Sequelize) => defineRow<InboxRow>(sequelize, 'Inbox', attributes, { tableName: table, timestamps: false });
