import type { Schema } from './json-schema.js';
import { multiParams } from './json-schema.js';
import type { Microversion } from './microversion.js';
import { boolean, descriptionPattern, flavorParamNonNegative, flavorParamPositive, name, nonNegativeInteger } from './parameter-types.js';

// Nova's request schemas for flavors, their extra specs and access (nova/api/openstack/compute/schemas).

const VALID_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
];

export const flavorIndexQuery = (v: Microversion): Schema => ({
  type: 'object',
  properties: {
    limit: multiParams(nonNegativeInteger),
    marker: multiParams({ type: 'string' }),
    is_public: multiParams({ type: 'string' }),
    minRam: multiParams({ type: 'string' }),
    minDisk: multiParams({ type: 'string' }),
    sort_key: multiParams({ type: 'string', enum: VALID_SORT_KEYS }),
    sort_dir: multiParams({ type: 'string', enum: ['asc', 'desc'] }),
  },
  additionalProperties: !v.atLeast('2.75'),
});

const description: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 65535, pattern: descriptionPattern };

export const flavorCreate = (v: Microversion): Schema => ({
  type: 'object',
  properties: {
    flavor: {
      type: 'object',
      properties: {
        name,
        id: { type: ['string', 'number', 'null'], minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' },
        ram: flavorParamPositive,
        vcpus: flavorParamPositive,
        disk: flavorParamNonNegative,
        'OS-FLV-EXT-DATA:ephemeral': flavorParamNonNegative,
        swap: flavorParamNonNegative,
        rxtx_factor: { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$', minimum: 0, exclusiveMinimum: true, maximum: 3.40282e38 },
        'os-flavor-access:is_public': boolean,
        ...(v.atLeast('2.55') ? { description } : {}),
      },
      required: ['name', 'ram', 'vcpus', 'disk'],
      additionalProperties: false,
    },
  },
  required: ['flavor'],
  additionalProperties: false,
});

export const flavorUpdate: Schema = {
  type: 'object',
  properties: { flavor: { type: 'object', properties: { description }, required: ['description'], additionalProperties: false } },
  required: ['flavor'],
  additionalProperties: false,
};

const specs: Schema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'number'], maxLength: 255 } },
  additionalProperties: false,
};

export const extraSpecsCreate: Schema = {
  type: 'object',
  properties: { extra_specs: specs },
  required: ['extra_specs'],
  additionalProperties: false,
};

export const extraSpecUpdate: Schema = { ...specs, minProperties: 1, maxProperties: 1 };

const tenantAccess = (action: string): Schema => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } },
      required: ['tenant'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
});

export const addTenantAccess = tenantAccess('addTenantAccess');
export const removeTenantAccess = tenantAccess('removeTenantAccess');
