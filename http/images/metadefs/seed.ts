import type { Logger } from 'pino';
import type { Models } from '../../../models/index.js';
import type { Clock } from '../../../runtime/clock.js';

// The metadata definitions a fresh Stratus offers, as Glance ships them for a libvirt/KVM cloud: the namespaces that
// describe what Stratus's compute reads (libvirt options, hypervisor selection, flavor quotas) and the software
// catalogues. Written for Stratus with Glance's field names; the descriptions are short on purpose.

export interface SeedNamespace {
  readonly namespace: string;
  readonly display_name: string;
  readonly description: string;
  readonly resource_type_associations: ReadonlyArray<{ name: string; prefix?: string; properties_target?: string }>;
  readonly properties?: Readonly<Record<string, object>>;
  readonly objects?: ReadonlyArray<{ name: string; description: string; required?: string[]; properties: Record<string, object> }>;
}

export const RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server'];

const str = (title: string, description: string, extra: object = {}) => ({ title, description, type: 'string', ...extra });
const int = (title: string, description: string, extra: object = {}) => ({ title, description, type: 'integer', ...extra });
const yesNo = { enum: ['true', 'false'] };
const version = (product: string) => ({ [`${product.toLowerCase()}_version`]: str(`${product} Version`, `The ${product} version installed.`) });
const software = (name: string, description: string, port?: number) => ({
  name,
  description,
  properties: {
    ...version(name.replace(/[^A-Za-z]/g, '')),
    ...(port
      ? {
          [`${name.replace(/[^A-Za-z]/g, '').toLowerCase()}_listen_port`]: int('Listen Port', `The port ${name} listens on.`, {
            minimum: 1,
            maximum: 65535,
            default: port,
          }),
        }
      : {}),
  },
});
const SOFTWARE_TARGETS = [
  { name: 'OS::Glance::Image' },
  { name: 'OS::Cinder::Volume', properties_target: 'image' },
  { name: 'OS::Nova::Server', properties_target: 'metadata' },
];

export const NAMESPACES: readonly SeedNamespace[] = [
  {
    namespace: 'OS::Compute::Libvirt',
    display_name: 'libvirt Driver Options',
    description: 'Options of the libvirt compute driver, set on images and flavors.',
    resource_type_associations: [
      { name: 'OS::Glance::Image', prefix: 'hw_' },
      { name: 'OS::Nova::Flavor', prefix: 'hw:' },
    ],
    properties: {
      serial_port_count: int('Serial Port Count', 'How many serial ports the guest gets.', { minimum: 0 }),
      boot_menu: str('Boot Menu', 'Whether the BIOS boot menu is shown.', yesNo),
      mem_encryption: str('Hardware Memory Encryption', 'Whether guest memory is encrypted by the hardware.', yesNo),
      virtio_packed_ring: str('Virtio Packed Ring', 'Whether virtio devices use the packed ring layout.', yesNo),
    },
  },
  {
    namespace: 'OS::Compute::Hypervisor',
    display_name: 'Hypervisor Selection',
    description: "The hypervisor and virtual machine mode an image needs; the scheduler's image properties filter reads them.",
    resource_type_associations: [{ name: 'OS::Glance::Image' }],
    properties: {
      hypervisor_type: str('Hypervisor Type', 'The hypervisor the image runs on.', {
        enum: ['baremetal', 'hyperv', 'kvm', 'lxc', 'powervm', 'qemu', 'uml', 'vmware', 'vz', 'xen'],
      }),
      vm_mode: str('VM Mode', 'The virtual machine mode the image needs.', { enum: ['hvm', 'xen', 'uml', 'exe'] }),
    },
  },
  {
    namespace: 'OS::Compute::Quota',
    display_name: 'Flavor Quota',
    description: 'Limits a flavor sets on CPU time, disk I/O and network traffic.',
    resource_type_associations: [{ name: 'OS::Nova::Flavor' }],
    objects: [
      {
        name: 'CPU Limits',
        description: 'CPU time control.',
        properties: {
          'quota:cpu_period': int('Quota: CPU Period', 'The enforcement interval, in microseconds.', { minimum: 1000, maximum: 1000000 }),
          'quota:cpu_quota': int('Quota: CPU Quota', 'The most CPU time per period, in microseconds.'),
          'quota:cpu_shares': int('Quota: CPU Shares', "The guest's weight against other guests."),
        },
      },
      {
        name: 'Disk QoS',
        description: 'Disk I/O limits.',
        properties: {
          'quota:disk_read_bytes_sec': int('Quota: Disk read bytes / sec', 'Bytes read per second.'),
          'quota:disk_read_iops_sec': int('Quota: Disk read IOPS / sec', 'Read operations per second.'),
          'quota:disk_write_bytes_sec': int('Quota: Disk Write Bytes / sec', 'Bytes written per second.'),
          'quota:disk_write_iops_sec': int('Quota: Disk Write IOPS / sec', 'Write operations per second.'),
          'quota:disk_total_bytes_sec': int('Quota: Disk Total Bytes / sec', 'Bytes read and written per second.'),
          'quota:disk_total_iops_sec': int('Quota: Disk Total IOPS / sec', 'Operations per second.'),
        },
      },
      {
        name: 'Virtual Interface QoS',
        description: 'Network traffic limits of the virtual interfaces.',
        properties: {
          'quota:vif_inbound_average': int('Quota: VIF Inbound Average', 'Average inbound kilobytes per second.'),
          'quota:vif_inbound_burst': int('Quota: VIF Inbound Burst', 'Inbound kilobytes at peak speed.'),
          'quota:vif_inbound_peak': int('Quota: VIF Inbound Peak', 'Peak inbound kilobytes per second.'),
          'quota:vif_outbound_average': int('Quota: VIF Outbound Average', 'Average outbound kilobytes per second.'),
          'quota:vif_outbound_burst': int('Quota: VIF Outbound Burst', 'Outbound kilobytes at peak speed.'),
          'quota:vif_outbound_peak': int('Quota: VIF Outbound Peak', 'Peak outbound kilobytes per second.'),
        },
      },
    ],
  },
  {
    namespace: 'OS::Software::DBMS',
    display_name: 'Database Software',
    description: 'Database systems installed in the image.',
    resource_type_associations: SOFTWARE_TARGETS,
    objects: [
      software('MySQL', 'The MySQL database server.', 3306),
      software('PostgreSQL', 'The PostgreSQL database server.', 5432),
      software('MongoDB', 'The MongoDB document store.', 27017),
      software('Redis', 'The Redis key-value store.', 6379),
    ],
  },
  {
    namespace: 'OS::Software::Runtimes',
    display_name: 'Runtime Environment',
    description: 'Language runtimes installed in the image.',
    resource_type_associations: SOFTWARE_TARGETS,
    objects: [
      software('Python', 'The Python interpreter.'),
      software('Java', 'A Java runtime.'),
      software('Ruby', 'The Ruby interpreter.'),
      software('Go', 'The Go toolchain.'),
    ],
  },
  {
    namespace: 'OS::Software::WebServers',
    display_name: 'Web Servers',
    description: 'Web servers installed in the image.',
    resource_type_associations: SOFTWARE_TARGETS,
    objects: [
      software('Apache HTTP', 'The Apache HTTP server.', 80),
      software('Nginx', 'The nginx web server.', 80),
      software('Tomcat', 'The Tomcat servlet container.', 8080),
    ],
  },
];

/**
 * Seeds the resource types and the namespaces on the first start (a namespace already there, or deleted by an admin
 * after being seeded once, is left as it is: the seed runs only while no resource type exists).
 */
export async function seedMetadefs(models: Models, clock: Clock, owner: string, logger: Logger): Promise<boolean> {
  const { MetadefNamespace, MetadefResourceType, MetadefEntry } = models;
  if ((await MetadefResourceType.count()) > 0) return false;
  const now = new Date(clock.now());
  const times = { created_at: now, updated_at: now };
  await MetadefNamespace.sequelize!.transaction(async (transaction) => {
    await MetadefResourceType.bulkCreate(
      RESOURCE_TYPES.map((name) => ({ name, protected: true, ...times })),
      { transaction },
    );
    for (const ns of NAMESPACES) {
      await MetadefNamespace.create(
        {
          namespace: ns.namespace,
          display_name: ns.display_name,
          description: ns.description,
          visibility: 'public',
          protected: true,
          owner,
          ...times,
        },
        { transaction },
      );
      const entries = [
        ...ns.resource_type_associations.map(({ name, ...rest }) => ({ kind: 'association', name, body: rest })),
        ...Object.entries(ns.properties ?? {}).map(([name, schema]) => ({ kind: 'property', name, body: schema })),
        ...(ns.objects ?? []).map(({ name, ...rest }) => ({ kind: 'object', name, body: { required: [], ...rest } })),
      ];
      await MetadefEntry.bulkCreate(
        entries.map((e) => ({ namespace: ns.namespace, kind: e.kind as 'object', name: e.name, body: JSON.stringify(e.body), ...times })),
        { transaction },
      );
    }
  });
  logger.info({ namespaces: NAMESPACES.length }, 'seeded the metadata definitions');
  return true;
}
