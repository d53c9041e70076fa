import { UniqueConstraintError } from 'sequelize';
import type { Database } from '../models/database.js';
import type { InstanceRow } from '../models/instance.js';
import { readRow } from '../models/typed.js';
import { ec2Id, type GuestMetadata } from '../drivers/qemu/config-drive.js';
import type { GuestDisk } from '../drivers/libvirt/domain-xml.js';

type Ec2Ids = Database['models']['InstanceIdMapping'];

/** The integer EC2 ids are made from, made on first use for a uuid (Nova's get_int_id_from_instance_uuid). */
async function intIdOf(model: Ec2Ids, uuid: string): Promise<number> {
  const found = await readRow(model, { where: { uuid } });
  if (found) return found.id;
  try {
    return (await model.create({ uuid })).get({ plain: true }).id;
  } catch (error) {
    // Another writer made it first.
    if (!(error instanceof UniqueConstraintError)) throw error;
    const made = await readRow(model, { where: { uuid } });
    if (!made) throw error;
    return made.id;
  }
}

const parsed = <T>(text: string | null | undefined, fallback: T): T => {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
};

/**
 * What an instance's config drive says, from its row: the key pair as it was at boot (its type read from the key
 * pair while it exists), the boot's admin password, the user data's bytes, and the EC2 view of its disks
 * (Nova's instance_block_mapping: ami and root on vda, ephemeral0 and swap on the disks after it).
 */
export async function guestMetadataOf(db: Database, row: InstanceRow, disks: readonly GuestDisk[]): Promise<GuestMetadata> {
  const keyType =
    row.key_name && row.key_data
      ? ((await readRow(db.models.KeyPair, { where: { user_id: row.user_id, name: row.key_name } }))?.type ?? 'ssh')
      : undefined;
  const mapping: Record<string, string> = { ami: 'vda', root: '/dev/vda' };
  const virtio = disks.filter((d) => d.bus === 'virtio').map((d) => d.target);
  let next = 1;
  if (row.ephemeral_gb > 0 && virtio[next]) mapping.ephemeral0 = virtio[next++];
  if (row.swap > 0 && virtio[next]) mapping.swap = virtio[next];
  return {
    uuid: row.uuid,
    hostname: row.hostname,
    name: row.display_name,
    launchIndex: row.launch_index,
    availabilityZone: row.availability_zone,
    projectId: row.project_id,
    meta: parsed<Record<string, string>>(row.metadata, {}),
    ...(row.key_name && row.key_data && keyType ? { key: { name: row.key_name, type: keyType, data: row.key_data } } : {}),
    ...(row.admin_pass ? { adminPass: row.admin_pass } : {}),
    ...(row.user_data ? { userData: Buffer.from(row.user_data, 'base64') } : {}),
    ec2: {
      instanceId: ec2Id('i', await intIdOf(db.models.InstanceIdMapping, row.uuid)),
      amiId: ec2Id('ami', await intIdOf(db.models.S3Image, row.image_ref)),
      reservationId: row.reservation_id,
      securityGroups: parsed<string[]>(row.security_groups, []),
      instanceType: row.flavor_name ?? row.flavor_id,
      blockDeviceMapping: mapping,
    },
  };
}
