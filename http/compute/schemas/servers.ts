import type { Microversion } from '../microversion.js';
import { multiParams, type Schema } from '../json-schema.js';
import * as t from '../parameter-types.js';

// Nova's request schemas for servers (nova/api/openstack/compute/schemas/servers.py at 26.0.0),
// built per microversion with the properties in Nova's order.

const legacyBlockDeviceMapping: Schema = {
  type: 'object',
  properties: {
    virtual_name: { type: 'string', maxLength: 255 },
    volume_id: t.uuid,
    snapshot_id: t.uuid,
    volume_size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 0x7fffffff },
    device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-r/]*$' },
    delete_on_termination: t.boolean,
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
  },
  additionalProperties: false,
};

function blockDeviceMappingV2(v: Microversion): Schema {
  const tagged = v.value === 2032 || v.atLeast('2.42');
  return {
    type: 'object',
    properties: {
      ...legacyBlockDeviceMapping.properties,
      source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
      uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
      image_id: t.uuid,
      destination_type: { type: 'string', enum: ['local', 'volume'] },
      guest_format: { type: 'string', maxLength: 255 },
      device_type: { type: 'string', maxLength: 255 },
      disk_bus: { type: 'string', maxLength: 255 },
      boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
      ...(tagged ? { tag: t.tag } : {}),
      ...(v.atLeast('2.67') ? { volume_type: { type: ['string', 'null'], minLength: 0, maxLength: 255 } } : {}),
    },
    additionalProperties: false,
  };
}

const port: Schema = { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] };

function networks(v: Microversion): Schema {
  // The network tag is there at 2.32 to 2.36 (a slip Nova kept) and again from 2.42.
  const tagged = (v.atLeast('2.32') && !v.atLeast('2.37')) || v.atLeast('2.42');
  const item: Schema = {
    type: 'object',
    properties: {
      fixed_ip: t.ipAddress,
      port,
      uuid: v.atLeast('2.37') ? { type: 'string', format: 'uuid' } : { type: 'string' },
      ...(tagged ? { tag: t.tag } : {}),
    },
    additionalProperties: false,
  };
  const list: Schema = { type: 'array', items: item };
  return v.atLeast('2.37') ? { oneOf: [list, { type: 'string', enum: ['none', 'auto'] }] } : list;
}

const hints: Schema = {
  type: 'object',
  properties: {
    group: { type: 'string', format: 'uuid' },
    different_host: {
      oneOf: [
        { type: 'string', format: 'uuid' },
        { type: 'array', items: t.uuid },
      ],
    },
    same_host: { type: ['string', 'array'], items: t.uuid },
    query: { type: ['string', 'object'] },
    target_cell: t.name,
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    build_near_host_ip: t.ipAddress,
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
};

// Schemas are built once per microversion.
const cached = <T>(build: (v: Microversion) => T) => {
  const built = new Map<number, T>();
  return (v: Microversion): T => {
    let schema = built.get(v.value);
    if (schema === undefined) built.set(v.value, (schema = build(v)));
    return schema;
  };
};

/** The POST /servers body at a microversion. */
export const createSchema = cached((v: Microversion): Schema => {
  const server: Record<string, Schema> = {
    name: t.name,
    imageRef: t.imageIdOrEmptyString,
    flavorRef: t.flavorRef,
    adminPass: t.adminPassword,
    metadata: t.metadata,
    networks: networks(v),
    'OS-DCF:diskConfig': t.diskConfig,
    accessIPv4: t.accessIPv4,
    accessIPv6: t.accessIPv6,
    ...(v.atLeast('2.57') ? {} : { personality: t.personality }),
    availability_zone: t.name,
    block_device_mapping: { type: 'array', items: legacyBlockDeviceMapping },
    block_device_mapping_v2: { type: 'array', items: blockDeviceMappingV2(v) },
    config_drive: t.boolean,
    key_name: t.name,
    min_count: t.positiveInteger,
    max_count: t.positiveInteger,
    return_reservation_id: t.boolean,
    security_groups: { type: 'array', items: { type: 'object', properties: { name: t.name }, additionalProperties: false } },
    user_data: { type: 'string', format: 'base64', maxLength: 65535 },
    ...(v.atLeast('2.19') ? { description: t.description } : {}),
    ...(v.atLeast('2.52') ? { tags: { type: 'array', items: t.tag, maxItems: t.MAX_TAG_COUNT } } : {}),
    ...(v.atLeast('2.63') ? { trusted_image_certificates: t.trustedCerts } : {}),
    ...(v.atLeast('2.74') ? { host: t.fqdn, hypervisor_hostname: t.fqdn } : {}),
    ...(v.atLeast('2.90') ? { hostname: t.hostname } : {}),
  };
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties: server,
        required: v.atLeast('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
        additionalProperties: false,
      },
      'os:scheduler_hints': hints,
      'OS-SCH-HNT:scheduler_hints': hints,
    },
    required: ['server'],
    additionalProperties: false,
  };
});

/** The PUT /servers/{id} body at a microversion. */
export const updateSchema = cached((v: Microversion): Schema => {
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties: {
          name: t.name,
          'OS-DCF:diskConfig': t.diskConfig,
          accessIPv4: t.accessIPv4,
          accessIPv6: t.accessIPv6,
          ...(v.atLeast('2.19') ? { description: t.description } : {}),
          ...(v.atLeast('2.90') ? { hostname: t.hostname } : {}),
        },
        additionalProperties: false,
      },
    },
    required: ['server'],
    additionalProperties: false,
  };
});

// Sort keys Nova accepts but ignores (SERVER_LIST_IGNORE_SORT_KEY); `locked` becomes a real one at 2.73.
export const IGNORED_SORT_KEYS = [
  'architecture',
  'cell_name',
  'cleaned',
  'default_ephemeral_device',
  'default_swap_device',
  'deleted',
  'deleted_at',
  'disable_terminate',
  'ephemeral_gb',
  'ephemeral_key_uuid',
  'id',
  'key_data',
  'launched_on',
  'locked',
  'memory_mb',
  'os_type',
  'reservation_id',
  'root_gb',
  'shutdown_terminate',
  'user_data',
  'vcpus',
  'vm_mode',
];
export const SORT_KEYS = [
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'instance_type_id',
  'kernel_id',
  'key_name',
  'launch_index',
  'launched_at',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'ramdisk_id',
  'root_device_name',
  'task_state',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
];

/** The sort keys ignored at a version (from 2.75 none: an unknown key is refused). */
export const ignoredSortKeys = (v: Microversion) =>
  v.atLeast('2.75') ? [] : v.atLeast('2.73') ? IGNORED_SORT_KEYS.filter((k) => k !== 'locked') : IGNORED_SORT_KEYS;

function sortKeyEnum(v: Microversion): string[] {
  if (v.atLeast('2.73')) return ['locked', ...SORT_KEYS, ...ignoredSortKeys(v)];
  return [...SORT_KEYS, ...IGNORED_SORT_KEYS];
}

// Filters on columns of instances' joined tables: refused (Nova's "Invalid filter field").
export const JOINED_TABLE_FILTERS = [
  'block_device_mapping',
  'services',
  'metadata',
  'system_metadata',
  'info_cache',
  'security_groups',
  'pci_devices',
];

/** The GET /servers and /servers/detail query string at a microversion, each parameter a list of values. */
export const querySchema = cached((v: Microversion): Schema => {
  const regex = t.queryRegexParam;
  const plain = t.queryParam;
  const properties: Record<string, Schema> = {
    user_id: plain,
    project_id: plain,
    tenant_id: plain,
    launch_index: plain,
    image_ref: plain,
    image: plain,
    kernel_id: regex,
    ramdisk_id: regex,
    hostname: regex,
    key_name: regex,
    power_state: regex,
    vm_state: plain,
    task_state: plain,
    host: plain,
    node: regex,
    flavor: regex,
    reservation_id: regex,
    launched_at: regex,
    terminated_at: regex,
    availability_zone: regex,
    name: regex,
    display_name: regex,
    description: regex,
    display_description: regex,
    locked_by: regex,
    uuid: plain,
    root_device_name: regex,
    config_drive: regex,
    access_ip_v4: regex,
    access_ip_v6: regex,
    auto_disk_config: regex,
    progress: regex,
    sort_key: multiParams({ type: 'string', enum: sortKeyEnum(v) }),
    sort_dir: plain,
    all_tenants: plain,
    soft_deleted: plain,
    deleted: plain,
    status: plain,
    'changes-since': multiParams({ type: 'string', format: 'date-time' }),
    ip: regex,
    ip6: regex,
    created_at: regex,
    ...Object.fromEntries(JOINED_TABLE_FILTERS.map((k) => [k, plain])),
    limit: multiParams(t.nonNegativeInteger),
    marker: multiParams({ type: 'string' }),
    ...(v.atLeast('2.26') ? { tags: regex, 'tags-any': regex, 'not-tags': regex, 'not-tags-any': regex } : {}),
    ...(v.atLeast('2.66') ? { 'changes-before': multiParams({ type: 'string', format: 'date-time' }) } : {}),
    ...(v.atLeast('2.73') ? { locked: plain } : {}),
  };
  return {
    type: 'object',
    properties,
    // Unknown parameters are dropped until 2.75 and refused from then on; a leading underscore never passes.
    additionalProperties: !v.atLeast('2.75'),
    patternProperties: { '^_': plain },
  };
});
