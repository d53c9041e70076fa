import type { Schema } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { multiParams } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's schemas/server_groups.py: `policies` (one of two policies, four from 2.15) until 2.64, then `policy` and `rules`.

const HARD = ['affinity', 'anti-affinity'];
const ALL = [...HARD, 'soft-affinity', 'soft-anti-affinity'];

export function createServerGroupSchema(v: Microversion): Schema {
  const group: Schema = v.atLeast('2.64')
    ? {
        type: 'object',
        properties: {
          name: t.name,
          policy: { type: 'string', enum: ALL },
          rules: {
            type: 'object',
            properties: { max_server_per_host: t.positiveInteger },
            additionalProperties: false,
          },
        },
        required: ['name', 'policy'],
        additionalProperties: false,
      }
    : {
        type: 'object',
        properties: {
          name: t.name,
          policies: {
            type: 'array',
            items: { type: 'string', enum: v.atLeast('2.15') ? ALL : HARD },
            uniqueItems: true,
            minItems: 1,
            maxItems: 1,
          },
        },
        required: ['name', 'policies'],
        additionalProperties: false,
      };
  return { type: 'object', properties: { server_group: group }, required: ['server_group'], additionalProperties: false };
}

/** GET /os-server-groups: all_projects, limit, offset; nothing else from 2.75. */
export const listServerGroupsQuery = (v: Microversion): Schema => ({
  type: 'object',
  properties: {
    all_projects: multiParams({ type: 'string' }),
    limit: multiParams(t.nonNegativeInteger),
    offset: multiParams(t.nonNegativeInteger),
  },
  additionalProperties: !v.atLeast('2.75'),
});
