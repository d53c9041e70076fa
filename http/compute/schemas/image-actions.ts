import type { Microversion } from '../microversion.js';
import type { Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's request schemas for the image-based server actions at 26.0.0 (nova/api/openstack/compute/schemas/
// servers.py create_image, create_backup.py, rescue.py, shelve.py unshelve_v2_77 / v2_91, servers.py
// base_rebuild and its microversion variants). shelve, shelveOffload and unrescue take no schema: their value is ignored.

const action = (name: string, value: Schema): Schema => ({
  type: 'object',
  properties: { [name]: value },
  required: [name],
  additionalProperties: false,
});

export const createImage: Schema = action('createImage', {
  type: 'object',
  properties: { name: t.name, metadata: t.metadata },
  required: ['name'],
  additionalProperties: false,
});

export const createBackup: Schema = action('createBackup', {
  type: 'object',
  properties: {
    name: t.name,
    backup_type: { type: 'string' },
    rotation: t.nonNegativeInteger,
    metadata: t.metadata,
  },
  required: ['name', 'backup_type', 'rotation'],
  additionalProperties: false,
});

export const rescue: Schema = action('rescue', {
  type: ['object', 'null'],
  properties: { adminPass: t.adminPassword, rescue_image_ref: t.uuid },
  additionalProperties: false,
});

/** Before 2.77 the value is not looked at; 2.77 may name a zone; 2.91 a zone (null: unpinned) or a host, or null. */
export const unshelve = (v: Microversion): Schema | undefined => {
  if (!v.atLeast('2.77')) return undefined;
  if (!v.atLeast('2.91'))
    return action('unshelve', {
      type: ['object', 'null'],
      properties: { availability_zone: t.name },
      required: ['availability_zone'],
      additionalProperties: false,
    });
  return action('unshelve', {
    type: ['object', 'null'],
    properties: { availability_zone: { type: ['string', 'null'] }, host: t.fqdn },
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 2,
  });
};

export const rebuild = (v: Microversion): Schema =>
  action('rebuild', {
    type: 'object',
    properties: {
      name: t.name,
      imageRef: t.uuid,
      adminPass: t.adminPassword,
      metadata: t.metadata,
      preserve_ephemeral: t.boolean,
      'OS-DCF:diskConfig': t.diskConfig,
      accessIPv4: t.accessIPv4,
      accessIPv6: t.accessIPv6,
      ...(v.atLeast('2.57') ? {} : { personality: t.personality }),
      ...(v.atLeast('2.19') ? { description: t.description } : {}),
      ...(v.atLeast('2.54') ? { key_name: { oneOf: [t.name, { type: 'null' }] } } : {}),
      ...(v.atLeast('2.57') ? { user_data: { type: ['string', 'null'], format: 'base64', maxLength: 65535 } } : {}),
      ...(v.atLeast('2.63') ? { trusted_image_certificates: t.trustedCerts } : {}),
      ...(v.atLeast('2.90') ? { hostname: t.hostname } : {}),
    },
    required: ['imageRef'],
    additionalProperties: false,
  });
