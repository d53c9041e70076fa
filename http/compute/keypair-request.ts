import type { Schema } from './json-schema.js';
import { multiParams } from './json-schema.js';
import type { Microversion } from './microversion.js';
import { keypairName, keypairName292, paginationParameters } from './parameter-types.js';

// Nova's request schemas for key pairs, per microversion (nova/api/openstack/compute/schemas/keypairs.py).

export function keypairCreate(v: Microversion): Schema {
  const properties: Record<string, Schema> = { name: v.atLeast('2.92') ? keypairName292 : keypairName };
  if (v.atLeast('2.2')) properties.type = { type: 'string', enum: ['ssh', 'x509'] };
  properties.public_key = { type: 'string' };
  if (v.atLeast('2.10')) properties.user_id = { type: 'string' };
  return {
    type: 'object',
    properties: {
      keypair: { type: 'object', properties, required: v.atLeast('2.92') ? ['name', 'public_key'] : ['name'], additionalProperties: false },
    },
    required: ['keypair'],
    additionalProperties: false,
  };
}

/** The query of index (with paging from 2.35), show and delete. */
export function keypairQuery(v: Microversion, paged: boolean): Schema {
  if (!v.atLeast('2.10')) return { type: 'object', properties: {}, additionalProperties: true };
  return {
    type: 'object',
    properties: { user_id: multiParams({ type: 'string' }), ...(paged && v.atLeast('2.35') ? paginationParameters : {}) },
    additionalProperties: !v.atLeast('2.75'),
  };
}
