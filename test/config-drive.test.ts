import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../models/database.js';
import type { InstanceRow } from '../models/instance.js';
import { readRow } from '../models/typed.js';
import { configDriveFiles, writeConfigDrive } from '../drivers/qemu/config-drive.js';
import type { GuestDisk } from '../drivers/libvirt/domain-xml.js';
import { guestMetadataOf } from '../bin/guest-metadata.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// A config drive made from an instance row of a real database (both passes), written with the real genisoimage and
// read back with isoinfo: Nova's layout and fields, hostile values kept as bytes.

let database: TestDatabase;
let db: Database;
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-config-drive-'));
  dirs.push(dir);
  return dir;
};

test.before(async () => {
  database = await createTestDatabase('config-drive');
  db = await openDatabase(database.url);
});
test.after.always(async () => {
  await db?.sequelize.close();
  await database?.drop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFl1Qpk5rD8W2vGmF7L3t+v1w5o0n2b0p4zE3k9q8XyZ me@there';
// Shell metacharacters, a quote, a newline, non-ASCII and a NUL: the drive carries them as data and nothing runs them.
const HOSTILE = `$(touch /tmp/pwned) \`id\` "'; rm -rf / #\n\u00e9\u0000`;
const USER_DATA = Buffer.concat([Buffer.from('#!/bin/sh\necho $(whoami)\n'), Buffer.from([0, 0xff, 0xfe, 0x80])]);

function row(overrides: Partial<InstanceRow> = {}): InstanceRow {
  const now = new Date();
  return {
    uuid: '5b7c6a1e-1f0e-4c6b-9a8e-2d3c4b5a6f70',
    project_id: 'p-1',
    user_id: 'u-1',
    display_name: HOSTILE,
    display_description: null,
    hostname: 'web-1',
    vm_state: 'building',
    task_state: 'spawning',
    power_state: 0,
    host: 'qemu-1',
    node: 'qemu-1',
    availability_zone: 'nova',
    flavor_id: 'f-1',
    flavor_name: 'm1.tiny',
    memory_mb: 256,
    vcpus: 1,
    root_gb: 1,
    ephemeral_gb: 1,
    image_ref: 'c0ffee00-0000-4000-8000-000000000001',
    key_name: 'mykey',
    key_data: KEY,
    admin_pass: 'S3cret-pass',
    locked: false,
    locked_reason: null,
    reservation_id: 'r-abcdef12',
    launch_index: 0,
    fault_code: null,
    fault_message: null,
    fault_details: null,
    metadata: JSON.stringify({ role: HOSTILE }),
    tags: '[]',
    user_data: USER_DATA.toString('base64'),
    access_ip_v4: null,
    access_ip_v6: null,
    config_drive: 'True',
    auto_disk_config: false,
    root_device_name: null,
    security_groups: '["default"]',
    trusted_certs: null,
    swap: 64,
    flavor_extra_specs: '{}',
    requested_host: null,
    force_host: false,
    launched_at: null,
    terminated_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    ...overrides,
  };
}

const disks: GuestDisk[] = [
  { path: '/x/disk', format: 'qcow2', device: 'disk', target: 'vda', bus: 'virtio' },
  { path: '/x/disk.local', format: 'qcow2', device: 'disk', target: 'vdb', bus: 'virtio' },
  { path: '/x/disk.swap', format: 'qcow2', device: 'disk', target: 'vdc', bus: 'virtio' },
];

const isoinfo = (iso: string, ...args: string[]) => execFileSync('isoinfo', ['-i', iso, ...args], { maxBuffer: 16 * 1024 * 1024 });
const readIso = (iso: string, path: string) => isoinfo(iso, '-R', '-x', `/${path}`);

test('the drive holds Nova’s layout, read back from the ISO (label config-2, Rock Ridge names)', async (t) => {
  await db.models.KeyPair.create({
    user_id: 'u-1',
    name: 'mykey',
    fingerprint: 'f',
    public_key: KEY,
    type: 'ssh',
    created_at: new Date(),
    updated_at: null,
  });
  const iso = join(scratch(), 'disk.config');
  await writeConfigDrive(iso, configDriveFiles(await guestMetadataOf(db, row(), disks)));
  t.regex(isoinfo(iso, '-d').toString(), /Volume id: config-2/);
  t.is(statSync(iso).mode & 0o777, 0o600, 'it holds the admin password');
  const listed = isoinfo(iso, '-R', '-f')
    .toString()
    .trim()
    .split('\n')
    .filter((p) => /\.json$|user[-_]data$/.test(p))
    .sort();
  for (const path of [
    '/ec2/2009-04-04/meta-data.json',
    '/ec2/2009-04-04/user-data',
    '/ec2/latest/meta-data.json',
    '/ec2/latest/user-data',
    '/openstack/2012-08-10/meta_data.json',
    '/openstack/2012-08-10/user_data',
    '/openstack/2013-10-17/vendor_data.json',
    '/openstack/2015-10-15/network_data.json',
    '/openstack/2016-10-06/vendor_data2.json',
    '/openstack/latest/meta_data.json',
    '/openstack/latest/network_data.json',
    '/openstack/latest/user_data',
    '/openstack/latest/vendor_data.json',
    '/openstack/latest/vendor_data2.json',
  ])
    t.true(listed.includes(path), path);
  t.false(listed.includes('/openstack/2012-08-10/vendor_data.json'));
  t.false(listed.includes('/openstack/2013-10-17/vendor_data2.json'));
  t.false(
    listed.some((p) => p.startsWith('/ec2/1.0')),
    'the EC2 versions Nova skips by default',
  );

  const md = JSON.parse(readIso(iso, 'openstack/latest/meta_data.json').toString()) as Record<string, unknown>;
  t.is(md.uuid, '5b7c6a1e-1f0e-4c6b-9a8e-2d3c4b5a6f70');
  t.is(md.hostname, 'web-1.novalocal');
  t.is(md.name, HOSTILE);
  t.is(md.launch_index, 0);
  t.is(md.availability_zone, 'nova');
  t.is(md.project_id, 'p-1');
  t.is(md.admin_pass, 'S3cret-pass');
  t.deepEqual(md.meta, { role: HOSTILE });
  t.deepEqual(md.public_keys, { mykey: KEY });
  t.deepEqual(md.keys, [{ name: 'mykey', type: 'ssh', data: KEY }]);
  t.deepEqual(md.devices, []);
  t.is(Buffer.from(md.random_seed as string, 'base64').length, 512);
  const first = JSON.parse(readIso(iso, 'openstack/2012-08-10/meta_data.json').toString()) as Record<string, unknown>;
  t.false('random_seed' in first || 'project_id' in first || 'devices' in first, 'fields by version, as Nova adds them');

  t.deepEqual(readIso(iso, 'openstack/latest/user_data'), USER_DATA);
  t.deepEqual(readIso(iso, 'ec2/latest/user-data'), USER_DATA);
  t.deepEqual(JSON.parse(readIso(iso, 'openstack/latest/network_data.json').toString()), {});
  t.deepEqual(JSON.parse(readIso(iso, 'openstack/latest/vendor_data2.json').toString()), {});

  const ec2 = JSON.parse(readIso(iso, 'ec2/latest/meta-data.json').toString()) as Record<string, unknown>;
  t.regex(ec2['instance-id'] as string, /^i-[0-9a-f]{8}$/);
  t.regex(ec2['ami-id'] as string, /^ami-[0-9a-f]{8}$/);
  t.is(ec2.hostname, 'web-1.novalocal');
  t.is(ec2['instance-type'], 'm1.tiny');
  t.is(ec2['reservation-id'], 'r-abcdef12');
  t.deepEqual(ec2['security-groups'], ['default']);
  t.deepEqual(ec2['public-keys'], { '0': { 'openssh-key': KEY } });
  t.deepEqual(ec2['block-device-mapping'], { ami: 'vda', root: '/dev/vda', ephemeral0: 'vdb', swap: 'vdc' });
  t.deepEqual(ec2.placement, { 'availability-zone': 'nova' });
});

test('EC2 ids are the instance’s and the image’s integer ids, made once and kept', async (t) => {
  const a = await guestMetadataOf(db, row({ uuid: '11111111-1111-4111-8111-111111111111' }), disks);
  const b = await guestMetadataOf(db, row({ uuid: '22222222-2222-4222-8222-222222222222' }), disks);
  const again = await guestMetadataOf(db, row({ uuid: '11111111-1111-4111-8111-111111111111' }), disks);
  t.is(again.ec2.instanceId, a.ec2.instanceId);
  t.not(a.ec2.instanceId, b.ec2.instanceId);
  const mapped = await readRow(db.models.InstanceIdMapping, { where: { uuid: '11111111-1111-4111-8111-111111111111' } });
  t.is(a.ec2.instanceId, `i-${mapped!.id.toString(16).padStart(8, '0')}`);
  t.is(a.ec2.amiId, b.ec2.amiId, 'one image, one ami id');
});

test('without a key, password or user data the drive says nothing of them', async (t) => {
  const m = await guestMetadataOf(
    db,
    row({ key_name: null, key_data: null, admin_pass: null, user_data: null, metadata: '{}', ephemeral_gb: 0, swap: 0 }),
    disks.slice(0, 1),
  );
  const files = configDriveFiles(m);
  const md = JSON.parse(files.get('openstack/latest/meta_data.json')!.toString()) as Record<string, unknown>;
  t.false('public_keys' in md || 'keys' in md || 'admin_pass' in md || 'meta' in md);
  t.false(files.has('openstack/latest/user_data') || files.has('ec2/latest/user-data'));
  const ec2 = JSON.parse(files.get('ec2/latest/meta-data.json')!.toString()) as Record<string, unknown>;
  t.false('public-keys' in ec2);
  t.deepEqual(ec2['block-device-mapping'], { ami: 'vda', root: '/dev/vda' });
});

test('a failed write leaves no drive and no staging folder behind', async (t) => {
  const dir = scratch();
  await t.throwsAsync(writeConfigDrive(join(dir, 'disk.config'), new Map([['../escape', Buffer.from('x')]])), {
    message: 'not a config drive path: ../escape',
  });
  t.deepEqual(readdirSync(dir), []);
});
