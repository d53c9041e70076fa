import type { Microversion } from '../microversion.js';
import type { Schema } from '../json-schema.js';
import * as types from '../parameter-types.js';

// Nova's request schemas for moving servers (nova/api/openstack/compute/schemas/servers.py `resize`,
// migrate_server.py `migrate_v2_56`, `migrate_live`, `migrate_live_v2_25`, `_v2_30`, `_v2_68` at 26.0.0).

const action = (name: string, value: Schema): Schema => ({
  type: 'object',
  properties: { [name]: value },
  required: [name],
  additionalProperties: false,
});

export const resize: Schema = action('resize', {
  type: 'object',
  properties: { flavorRef: types.flavorRef, 'OS-DCF:diskConfig': types.diskConfig },
  required: ['flavorRef'],
  additionalProperties: false,
});

const host: Schema = { ...types.fqdn, type: ['string', 'null'] };

/** Before 2.56 the body's value is not looked at; from it, an optional host. */
export const migrate = (v: Microversion): Schema | undefined =>
  v.atLeast('2.56') ? action('migrate', { type: ['object', 'null'], properties: { host }, additionalProperties: false }) : undefined;

export function migrateLive(v: Microversion): Schema {
  if (!v.atLeast('2.25'))
    return action('os-migrateLive', {
      type: 'object',
      properties: { block_migration: types.boolean, disk_over_commit: types.boolean, host },
      required: ['block_migration', 'disk_over_commit', 'host'],
      additionalProperties: false,
    });
  const blockMigration: Schema = { ...types.boolean, enum: [...(types.boolean.enum ?? []), 'auto'] };
  const properties: Record<string, Schema> = { block_migration: blockMigration, host };
  if (v.atLeast('2.30') && !v.atLeast('2.68')) properties.force = types.boolean;
  return action('os-migrateLive', { type: 'object', properties, required: ['block_migration', 'host'], additionalProperties: false });
}

/** evacuate: onSharedStorage required until 2.14 (gone from it), force from 2.29 to 2.67. */
export function evacuate(v: Microversion): Schema {
  const properties: Record<string, Schema> = { host: types.fqdn, adminPass: types.adminPassword };
  if (!v.atLeast('2.14')) properties.onSharedStorage = types.boolean;
  if (v.atLeast('2.29') && !v.atLeast('2.68')) properties.force = types.boolean;
  return action('evacuate', {
    type: 'object',
    properties,
    ...(v.atLeast('2.14') ? {} : { required: ['onSharedStorage'] }),
    additionalProperties: false,
  });
}
