import type { Microversion } from '../microversion.js';
import type { Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's request schemas for services (nova/api/openstack/compute/schemas/services.py at 26.0.0).

const reason: Schema = { type: 'string', minLength: 1, maxLength: 255 };

/** The body of the pre-2.53 actions by host and binary; forced_down from 2.11. */
export function serviceUpdateByAction(v: Microversion): Schema {
  return {
    type: 'object',
    properties: {
      host: t.fqdn,
      binary: { type: 'string', minLength: 1, maxLength: 255 },
      disabled_reason: reason,
      ...(v.atLeast('2.11') ? { forced_down: t.boolean } : {}),
    },
    required: ['host', 'binary'],
    additionalProperties: false,
  };
}

// Nova's has no type; this one also refuses a body that is not an object, in the earlier versions' words.
export const serviceUpdate253: Schema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['enabled', 'disabled'] }, disabled_reason: reason, forced_down: t.boolean },
  additionalProperties: false,
};

/** The list query; unknown parameters were ignored until 2.75 made them an error. */
export const serviceListQuery = (v: Microversion): Schema => ({
  type: 'object',
  properties: { host: t.queryParam, binary: t.queryParam },
  additionalProperties: !v.atLeast('2.75'),
});
