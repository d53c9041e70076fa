import type { Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's schemas for a server's metadata (schemas/server_metadata.py) and tags (schemas/server_tags.py).

const items = (key: 'metadata' | 'meta', metadata: Schema): Schema => ({
  type: 'object',
  properties: { [key]: metadata },
  required: [key],
  additionalProperties: false,
});

/** POST /servers/{id}/metadata and PUT /servers/{id}/metadata. */
export const metadataSchema = items('metadata', t.metadata);

/** PUT /servers/{id}/metadata/{key}: exactly one item. */
export const metaItemSchema = items('meta', { ...t.metadata, minProperties: 1, maxProperties: 1 });

/** PUT /servers/{id}/tags. */
export const tagsSchema: Schema = {
  type: 'object',
  properties: { tags: { type: 'array', items: t.tag, maxItems: t.MAX_TAG_COUNT } },
  required: ['tags'],
  additionalProperties: false,
};

/** PUT /servers/{id}/tags/{tag} takes no body. */
export const tagBodySchema: Schema = { type: 'null', required: [], additionalProperties: false };

/** POST /servers/{id}/os-interface (schemas/attach_interfaces.py): the tag from 2.49. */
export const attachInterfaceSchema = (tagged: boolean): Schema => ({
  type: 'object',
  properties: {
    interfaceAttachment: {
      type: 'object',
      properties: {
        net_id: t.uuid,
        port_id: t.uuid,
        fixed_ips: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: { type: 'object', properties: { ip_address: t.ipAddress }, required: ['ip_address'], additionalProperties: false },
        },
        ...(tagged ? { tag: t.tag } : {}),
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});
