import Router from '@koa/router';
import { authenticate, type ImageServices, type ImageState } from '../services.js';
import { formats } from '../views.js';

const string = (description: string, extra: object = {}) => ({ type: ['null', 'string'], description, ...extra });
const readOnly = (type: string | string[], description: string) => ({ type, readOnly: true, description });

const image = {
  name: 'image',
  additionalProperties: { type: 'string' },
  properties: {
    id: {
      type: 'string',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
      description: 'An identifier for the image',
    },
    name: string('Descriptive name for the image', { maxLength: 255 }),
    status: {
      ...readOnly('string', 'Status of the image'),
      enum: ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'],
    },
    visibility: { type: 'string', enum: ['community', 'public', 'private', 'shared'], description: 'Scope of image accessibility' },
    protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
    os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
    checksum: readOnly(['null', 'string'], 'md5 hash of image contents.'),
    os_hash_algo: readOnly(['null', 'string'], 'Algorithm to calculate the os_hash_value'),
    os_hash_value: readOnly(['null', 'string'], 'Hexdigest of the image contents using the algorithm specified by os_hash_algo'),
    owner: string('Owner of the image'),
    size: readOnly(['null', 'integer'], 'Size of image file in bytes'),
    virtual_size: readOnly(['null', 'integer'], 'Virtual size of image in bytes'),
    container_format: string('Format of the container', { enum: [null, ...formats.container] }),
    disk_format: string('Format of the disk', { enum: [null, ...formats.disk] }),
    created_at: readOnly('string', 'Date and time of image registration'),
    updated_at: readOnly('string', 'Date and time of the last image modification'),
    tags: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'List of strings related to the image' },
    min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
    min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
    self: readOnly('string', 'An image self url'),
    file: readOnly('string', 'An image file url'),
    schema: readOnly('string', 'An image schema url'),
  },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

const member = {
  name: 'member',
  properties: {
    image_id: { type: 'string', description: 'An identifier for the image' },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    status: { type: 'string', enum: ['pending', 'accepted', 'rejected'], description: 'The status of this image member' },
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    schema: { type: 'string', readOnly: true },
  },
};

const collection = (name: string, item: object) => ({
  name: `${name}s`,
  properties: { [`${name}s`]: { type: 'array', items: item }, schema: { type: 'string' }, first: { type: 'string' }, next: { type: 'string' } },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});

/** `/v2/schemas/*`: the JSON schemas Glance clients read to learn the image shape. */
export function schemaRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/schemas' });
  const schemas: Record<string, object> = { image, images: collection('image', image), member, members: collection('member', member) };
  router.get('/:name', async (ctx, next) => {
    await authenticate(s, ctx);
    const schema = schemas[ctx.params.name];
    if (!schema) {
      await next();
      return;
    }
    ctx.body = schema;
  });
  return router;
}
