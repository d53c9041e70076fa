import type { Microversion } from '../microversion.js';
import type { Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's request schemas for os-quota-sets and os-quota-class-sets (nova/api/openstack/compute/schemas/
// quota_sets.py and quota_classes.py at 26.0.0).

// A limit: an integer or its digits, -1 (unlimited) up to the database's MAX_INT.
const limit: Schema = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 0x7fffffff };

const NETWORK = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules', 'networks'];
const PERSONALITY = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
const ALL = ['instances', 'cores', 'ram', 'metadata_items', 'key_pairs', 'server_groups', 'server_group_members', ...PERSONALITY, ...NETWORK];

const limits = (dropped: string[]): Record<string, Schema> =>
  Object.fromEntries(ALL.filter((name) => !dropped.includes(name)).map((name) => [name, limit]));

/** The resources a body may no longer set at a version: the network ones leave at `networkGoneAt`, personality files at 2.57. */
const dropped = (v: Microversion, networkGoneAt: string) => [...(v.atLeast(networkGoneAt) ? NETWORK : []), ...(v.atLeast('2.57') ? PERSONALITY : [])];

/** PUT /os-quota-sets/{id}: the limits to set and `force`; the network resources leave at 2.36, personality files at 2.57. */
export const quotaSetUpdate = (v: Microversion): Schema => ({
  type: 'object',
  properties: {
    quota_set: { type: 'object', properties: { ...limits(dropped(v, '2.36')), force: t.boolean }, additionalProperties: false },
  },
  required: ['quota_set'],
  additionalProperties: false,
});

/**
 * PUT /os-quota-class-sets/{id}: the network resources leave at 2.50, personality files at 2.57. Nova's schema
 * puts its `type` beside the properties, so a body that is no object reaches its code (a 500); this one refuses it.
 */
export const quotaClassUpdate = (v: Microversion): Schema => ({
  type: 'object',
  properties: { quota_class_set: { type: 'object', properties: limits(dropped(v, '2.50')), additionalProperties: false } },
  required: ['quota_class_set'],
  additionalProperties: false,
});

/** `?user_id=` on show, detail, update and delete; other parameters were ignored until 2.75 made them an error. */
export const quotaSetQuery = (v: Microversion): Schema => ({
  type: 'object',
  properties: { user_id: t.queryParam },
  additionalProperties: !v.atLeast('2.75'),
});
