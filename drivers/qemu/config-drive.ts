import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * What a guest is told about itself, as Nova's InstanceMetadata gathers it (nova/api/metadata/base.py). Every value
 * is the user's and may be hostile: it only ever becomes file contents (JSON or the user data's own bytes), never a
 * file name or a command's argument.
 */
export interface GuestMetadata {
  readonly uuid: string;
  /** The instance's hostname; the drive names it with the DHCP domain, as Nova's _get_hostname does. */
  readonly hostname: string;
  readonly name: string;
  readonly launchIndex: number;
  readonly availabilityZone: string | null;
  readonly projectId: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly key?: { readonly name: string; readonly type: string; readonly data: string };
  readonly adminPass?: string;
  /** The user data's bytes (decoded from the API's base64). */
  readonly userData?: Buffer;
  readonly ec2: {
    /** i-%08x and ami-%08x of the instance's and the image's integer ids. */
    readonly instanceId: string;
    readonly amiId: string;
    readonly reservationId: string;
    readonly securityGroups: readonly string[];
    readonly instanceType: string;
    readonly blockDeviceMapping: Readonly<Record<string, string>>;
  };
}

/** Nova's default `[api] dhcp_domain`. */
export const DHCP_DOMAIN = 'novalocal';

// Nova's metadata versions: the EC2 ones Nova's default config_drive_skip_versions leaves on the drive, and every
// OpenStack one, each followed by `latest`.
const EC2_VERSIONS = ['2009-04-04', 'latest'];
const OPENSTACK_VERSIONS = [
  '2012-08-10',
  '2013-04-04',
  '2013-10-17',
  '2015-10-15',
  '2016-06-30',
  '2016-10-06',
  '2017-02-22',
  '2018-08-27',
  '2020-10-14',
  'latest',
];
const since = (version: string, first: string) => OPENSTACK_VERSIONS.indexOf(version) >= OPENSTACK_VERSIONS.indexOf(first);

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** i-%08x / ami-%08x, as Nova's ec2utils formats an integer id. */
export const ec2Id = (prefix: 'i' | 'ami', id: number) => `${prefix}-${id.toString(16).padStart(8, '0')}`;

/** The files of the drive, path to contents, in Nova's layout (metadata_for_config_drive). */
export function configDriveFiles(m: GuestMetadata, seed: () => Buffer = () => randomBytes(512)): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const hostname = DHCP_DOMAIN ? `${m.hostname}.${DHCP_DOMAIN}` : m.hostname;
  for (const version of EC2_VERSIONS) {
    if (m.userData) files.set(`ec2/${version}/user-data`, m.userData);
    files.set(`ec2/${version}/meta-data.json`, json(ec2MetaData(m, hostname)));
  }
  for (const version of OPENSTACK_VERSIONS) {
    files.set(`openstack/${version}/meta_data.json`, json(openstackMetaData(m, hostname, version, seed)));
    if (m.userData) files.set(`openstack/${version}/user_data`, m.userData);
    if (since(version, '2013-10-17')) files.set(`openstack/${version}/vendor_data.json`, json({}));
    // No networks yet: Nova writes {} when an instance has no network information.
    if (since(version, '2015-10-15')) files.set(`openstack/${version}/network_data.json`, json({}));
    if (since(version, '2016-10-06')) files.set(`openstack/${version}/vendor_data2.json`, json({}));
  }
  return files;
}

function openstackMetaData(m: GuestMetadata, hostname: string, version: string, seed: () => Buffer): Record<string, unknown> {
  const md: Record<string, unknown> = { uuid: m.uuid };
  if (Object.keys(m.meta).length) md.meta = m.meta;
  if (m.adminPass !== undefined) md.admin_pass = m.adminPass;
  if (m.key) {
    md.public_keys = { [m.key.name]: m.key.data };
    md.keys = [{ name: m.key.name, type: m.key.type, data: m.key.data }];
  }
  md.hostname = hostname;
  md.name = m.name;
  md.launch_index = m.launchIndex;
  md.availability_zone = m.availabilityZone;
  if (since(version, '2013-04-04')) md.random_seed = seed().toString('base64');
  if (since(version, '2015-10-15')) md.project_id = m.projectId;
  // Tagged devices come with volumes and ports; none are tagged yet.
  if (since(version, '2016-06-30')) md.devices = [];
  if (since(version, '2020-10-14')) md.dedicated_cpus = [];
  return md;
}

function ec2MetaData(m: GuestMetadata, hostname: string): Record<string, unknown> {
  return {
    'ami-id': m.ec2.amiId,
    'ami-launch-index': m.launchIndex,
    'ami-manifest-path': 'FIXME',
    'instance-id': m.ec2.instanceId,
    hostname,
    'local-ipv4': null,
    'reservation-id': m.ec2.reservationId,
    'security-groups': m.ec2.securityGroups,
    ...(m.key ? { 'public-keys': { '0': { 'openssh-key': m.key.data } } } : {}),
    'local-hostname': hostname,
    'public-hostname': hostname,
    'public-ipv4': '',
    'instance-type': m.ec2.instanceType,
    'block-device-mapping': m.ec2.blockDeviceMapping,
    placement: { 'availability-zone': m.availabilityZone },
    'instance-action': 'none',
  };
}

/** The volume label cloud-init and the guest's init look for. */
export const CONFIG_DRIVE_LABEL = 'config-2';

/**
 * Writes the drive as an ISO 9660 image at `dest` with genisoimage and Nova's options (Rock Ridge and Joliet names,
 * label config-2), through a staging folder beside it; the image appears whole or not at all. genisoimage is run
 * without a shell, on fixed file names.
 */
export async function writeConfigDrive(dest: string, files: ReadonlyMap<string, Buffer>, publisher = 'Stratus'): Promise<void> {
  const staging = await mkdtemp(join(dirname(dest), '.config-drive-'));
  try {
    const tree = join(staging, 'tree');
    for (const [path, contents] of files) {
      if (!/^[a-z0-9][a-z0-9_./-]*$/.test(path) || path.split('/').includes('..')) throw new Error(`not a config drive path: ${path}`);
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), contents, { mode: 0o644 });
    }
    const iso = join(staging, 'disk.config');
    await run('genisoimage', [
      '-o',
      iso,
      '-ldots',
      '-allow-lowercase',
      '-allow-multidot',
      '-l',
      '-publisher',
      publisher,
      '-quiet',
      '-J',
      '-r',
      '-V',
      CONFIG_DRIVE_LABEL,
      tree,
    ]);
    // It holds the admin password: readable by QEMU (root here) only.
    await chmod(iso, 0o600);
    await rename(iso, dest);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${(stderr || error.message).trim().slice(0, 500)}`));
      else resolve();
    });
  });
}
