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

const task = {
  name: 'task',
  properties: {
    id: { type: 'string', description: 'An identifier for the task' },
    type: { type: 'string', enum: ['import', 'api_image_import', 'location_import'], description: 'The type of task represented by this content' },
    status: { type: 'string', enum: ['pending', 'processing', 'success', 'failure'], description: 'The current status of this task' },
    input: { type: ['null', 'object'], description: 'The parameters required by task, JSON blob' },
    result: { type: ['null', 'object'], description: 'The result of current task, JSON blob' },
    owner: { type: 'string', description: 'An identifier for the owner of this task' },
    message: { type: 'string', description: 'Human-readable informative message only included when appropriate (usually on failure)' },
    image_id: { type: 'string', description: 'Image associated with the task' },
    request_id: { type: 'string', description: 'Human-readable informative request-id' },
    user_id: { type: 'string', description: 'User associated with the task' },
    expires_at: { type: ['null', 'string'], description: 'Datetime when this resource would be subject to removal' },
    created_at: { type: 'string', description: 'Datetime when this resource was created' },
    updated_at: { type: 'string', description: 'Datetime when this resource was updated' },
    self: { type: 'string', readOnly: true },
    schema: { type: 'string', readOnly: true },
  },
};

// Glance's metadata definitions, as its metadef schemas describe them.
const timestamps = {
  created_at: { type: 'string', readOnly: true, description: 'Date and time of creation', format: 'date-time' },
  updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last modification', format: 'date-time' },
};
const propertyDefinition = {
  type: 'object',
  required: ['title', 'type'],
  properties: {
    name: { type: 'string', maxLength: 255 },
    title: { type: 'string' },
    description: { type: 'string' },
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
    required: { type: 'array', items: { type: 'string' } },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { type: 'integer', minimum: 0 },
    minLength: { type: 'integer', minimum: 0 },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: { type: 'object' },
  },
};
const association = {
  name: 'resource_type_association',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 80, description: 'Resource type names should be aligned with Heat resource types whenever possible' },
    prefix: { type: 'string', maxLength: 80, description: 'Specifies the prefix to use for the given resource type.' },
    properties_target: { type: 'string', maxLength: 80, description: 'Some resource types allow more than one key / value pair per instance.' },
    ...timestamps,
  },
};
const metadefObject = {
  name: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 255 },
    description: { type: 'string' },
    required: { type: 'array', items: { type: 'string' } },
    properties: { type: 'object', additionalProperties: propertyDefinition },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    ...timestamps,
  },
};
const tag = { name: 'tag', required: ['name'], properties: { name: { type: 'string', maxLength: 255 }, ...timestamps } };
const namespace = {
  name: 'namespace',
  required: ['namespace'],
  additionalProperties: false,
  properties: {
    namespace: { type: 'string', maxLength: 80, description: 'The unique namespace text.' },
    display_name: { type: 'string', maxLength: 80, description: 'The user friendly name for the namespace. Used by UI if available.' },
    description: { type: 'string', maxLength: 500, description: 'Provides a user friendly description of the namespace.' },
    visibility: { type: 'string', enum: ['public', 'private'], description: 'Scope of namespace accessibility.' },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', maxLength: 255, description: 'Owner of the namespace.' },
    ...timestamps,
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    resource_type_associations: { type: 'array', items: association.properties },
    properties: { type: 'object', additionalProperties: propertyDefinition },
    objects: { type: 'array', items: { type: 'object', properties: metadefObject.properties } },
    tags: { type: 'array', items: { type: 'object', properties: tag.properties } },
  },
};
const metadefCollection = (name: string, key: string, item: object) => ({
  name,
  properties: { [key]: { type: 'array', items: item }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});
const metadefs: Record<string, object> = {
  namespace,
  namespaces: metadefCollection('namespaces', 'namespaces', namespace),
  resource_type_association: association,
  resource_type_associations: metadefCollection('resource_type_associations', 'resource_type_associations', association),
  object: metadefObject,
  objects: metadefCollection('objects', 'objects', metadefObject),
  property: { name: 'property', ...propertyDefinition },
  properties: {
    name: 'properties',
    properties: { properties: { type: 'object', additionalProperties: propertyDefinition }, schema: { type: 'string' } },
  },
  tag,
  tags: metadefCollection('tags', 'tags', tag),
};

/** `/v2/schemas/*`: the JSON schemas Glance clients read to learn the image shape. */
export function schemaRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/schemas' });
  const schemas: Record<string, object> = {
    image,
    images: collection('image', image),
    member,
    members: collection('member', member),
    task,
    tasks: collection('task', task),
  };
  router.get('/metadefs/:name', async (ctx, next) => {
    await authenticate(s, ctx);
    const schema = Object.hasOwn(metadefs, ctx.params.name) ? metadefs[ctx.params.name] : undefined;
    if (!schema) {
      await next();
      return;
    }
    ctx.body = schema;
  });
  router.get('/:name', async (ctx, next) => {
    await authenticate(s, ctx);
    const schema = Object.hasOwn(schemas, ctx.params.name) ? schemas[ctx.params.name] : undefined;
    if (!schema) {
      await next();
      return;
    }
    ctx.body = schema;
  });
  return router;
}
