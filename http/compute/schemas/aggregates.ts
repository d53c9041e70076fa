import type { Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's schemas/aggregates.py. Zone names take no ':' (a boot's `zone:host` would be ambiguous).

const zone: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^:]*$' };
const host: Schema = { type: 'string', minLength: 1, maxLength: 255 };
const wrap = (key: string, inner: Schema): Schema => ({ type: 'object', properties: { [key]: inner }, required: [key], additionalProperties: false });

export const createAggregateSchema = wrap('aggregate', {
  type: 'object',
  properties: { name: t.name, availability_zone: { ...zone, type: ['string', 'null'] } },
  required: ['name'],
  additionalProperties: false,
});

export const updateAggregateSchema = wrap('aggregate', {
  type: 'object',
  properties: { name: t.name, availability_zone: { ...zone, type: ['string', 'null'] } },
  minProperties: 1,
  additionalProperties: false,
});

export const addHostSchema = wrap('add_host', { type: 'object', properties: { host }, required: ['host'], additionalProperties: false });
export const removeHostSchema = wrap('remove_host', { type: 'object', properties: { host }, required: ['host'], additionalProperties: false });

export const setMetadataSchema = wrap('set_metadata', {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      patternProperties: { [t.METADATA_KEY]: { type: ['string', 'null'], maxLength: 255 } },
      additionalProperties: false,
      maxProperties: 128,
    },
  },
  required: ['metadata'],
  additionalProperties: false,
});
