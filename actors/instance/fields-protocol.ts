import { Type, type TSchema } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// The server's user-facing fields (what PUT /servers/{id}, the metadata and the tags
// sub-resources change) and the extra fields a boot records. Kept apart from protocol.ts so the
// boot path and the power actions each stay a block of their own there.

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const orNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Nova's metadata keys and values (parameter_types.metadata). */
export const MetadataItems = Type.Record(Type.RegExp(/^[a-zA-Z0-9-_:. ]{1,255}$/), Chars(0, 255), { additionalProperties: false });
export const Tag = Chars(1, 60, { pattern: '^[^,/]*$' });
export const MAX_TAGS = 50;

/** What a boot may record besides the boot path's own fields; all optional. */
export const createFields = {
  metadata: Type.Optional(MetadataItems),
  tags: Type.Optional(Type.Array(Tag, { maxItems: MAX_TAGS })),
  user_data: Type.Optional(orNull(Chars(0, 65_535))),
  access_ip_v4: Type.Optional(orNull(text(39))),
  access_ip_v6: Type.Optional(orNull(text(39))),
  config_drive: Type.Optional(Type.Boolean()),
  /** The key pair's public key at boot and the boot's admin password, for the config drive. */
  key_data: Type.Optional(orNull(Chars(1, 65_535))),
  admin_pass: Type.Optional(orNull(Type.String({ maxLength: 65_535 }))),
  auto_disk_config: Type.Optional(Type.Boolean()),
  /** Asked for at 2.90; otherwise derived from the display name. */
  hostname: Type.Optional(text(255)),
  /** A multiple boot derives hostnames from the name before its index suffix, then adds the index (`web-2`). */
  hostname_base: Type.Optional(text()),
  hostname_suffix: Type.Optional(Type.Integer({ minimum: 1 })),
  security_groups: Type.Optional(Type.Array(text(), { maxItems: 64 })),
  trusted_certs: Type.Optional(orNull(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 50 }))),
  swap: Type.Optional(Type.Integer({ minimum: 0 })),
  flavor_extra_specs: Type.Optional(Type.Record(Type.String(), Type.String())),
  requested_host: Type.Optional(orNull(text())),
  force_host: Type.Optional(Type.Boolean()),
};

/** The messages that change those fields. Each replies the instance's new row unless said otherwise. */
export const fieldMessages = {
  /** PUT /servers/{id}: only the fields given change; a null description or access IP clears it. */
  update: {
    durable: true,
    payload: Type.Object(
      {
        display_name: Type.Optional(text()),
        display_description: Type.Optional(orNull(Chars(0, 255))),
        hostname: Type.Optional(text(63)),
        access_ip_v4: Type.Optional(orNull(text(39))),
        access_ip_v6: Type.Optional(orNull(text(39))),
        auto_disk_config: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  /**
   * Merges metadata items (or replaces them all), refused while the server is locked (unless
   * `as_admin`), not settled in a state Nova allows, or when the result would exceed `limit` items.
   */
  updateMetadata: {
    durable: true,
    payload: Type.Object(
      {
        items: MetadataItems,
        replace: Type.Boolean(),
        as_admin: Type.Boolean(),
        limit: Type.Integer({ minimum: -1 }),
      },
      { additionalProperties: false },
    ),
  },
  deleteMetadataItem: {
    durable: true,
    payload: Type.Object({ key: Chars(1, 255), as_admin: Type.Boolean() }, { additionalProperties: false }),
  },
  /** Replaces every tag. */
  setTags: { durable: true, payload: Type.Object({ tags: Type.Array(Tag, { maxItems: MAX_TAGS }) }, { additionalProperties: false }) },
  /** Adds one tag (replies `{ added, tags }`); a tag already there changes nothing. */
  addTag: { durable: true, payload: Type.Object({ tag: Tag }, { additionalProperties: false }) },
  deleteTag: { durable: true, payload: Type.Object({ tag: Chars(1, 255) }, { additionalProperties: false }) },
  deleteTags: { durable: true, payload: Type.Object({}, { additionalProperties: false }) },
} as const;
