import { DataTypes, type ModelAttributes, type Sequelize } from 'sequelize';
import { defineRow } from './typed.js';

/**
 * What was done to a server and by whom (Nova's instance_actions): one row per API request that
 * acted on it, keyed by a digest of (instance, request, action) so that recording it twice is harmless.
 */
export interface InstanceActionRow {
  id: string;
  action: string | null;
  instance_uuid: string | null;
  request_id: string | null;
  user_id: string | null;
  project_id: string | null;
  start_time: Date | null;
  finish_time: Date | null;
  /** 'Error' once one of its events has failed, as Nova sets it. */
  message: string | null;
  created_at: Date | null;
  updated_at: Date;
}

/** One step of an action as a service carried it out (Nova's instance_actions_events). */
export interface InstanceActionEventRow {
  id: string;
  action_id: string | null;
  event: string | null;
  start_time: Date | null;
  finish_time: Date | null;
  /** 'Success' or 'Error'; null while the step runs. */
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
  created_at: Date | null;
  updated_at: Date;
}

// Nullable, as Nova's are: a report that finishes an event writes only what it knows.
const str = (length: number) => ({ type: DataTypes.STRING(length), allowNull: true });
const date = () => ({ type: DataTypes.DATE, allowNull: true });
const stamps = { created_at: date(), updated_at: { type: DataTypes.DATE, allowNull: false } };

export const actions = {
  table: 'instance_actions',
  attributes: {
    id: { type: DataTypes.STRING(64), primaryKey: true },
    action: str(255),
    instance_uuid: str(36),
    request_id: str(255),
    user_id: str(255),
    project_id: str(255),
    start_time: date(),
    finish_time: date(),
    message: str(255),
    ...stamps,
  } satisfies ModelAttributes,
  indexes: [{ fields: ['instance_uuid', 'updated_at'] }, { fields: ['request_id'] }],
};

export const events = {
  table: 'instance_action_events',
  attributes: {
    id: { type: DataTypes.STRING(64), primaryKey: true },
    action_id: str(64),
    event: str(255),
    start_time: date(),
    finish_time: date(),
    result: str(255),
    traceback: { type: DataTypes.TEXT, allowNull: true },
    host: str(255),
    details: { type: DataTypes.TEXT, allowNull: true },
    ...stamps,
  } satisfies ModelAttributes,
  indexes: [{ fields: ['action_id'] }],
};

export const define = (sequelize: Sequelize) => ({
  InstanceAction: defineRow<InstanceActionRow>(sequelize, 'InstanceAction', actions.attributes, {
    tableName: actions.table,
    timestamps: false,
    indexes: actions.indexes,
  }),
  InstanceActionEvent: defineRow<InstanceActionEventRow>(sequelize, 'InstanceActionEvent', events.attributes, {
    tableName: events.table,
    timestamps: false,
    indexes: events.indexes,
  }),
});
