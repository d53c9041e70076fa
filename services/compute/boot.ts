import { randomBytes, randomUUID } from 'node:crypto';
import type { FlavorRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { BootImage } from '../images/index.js';
import { computeActors } from './actors.js';
import { checkNetworks, imageOfBoot, missingNetwork, type BootRequest } from './boot-request.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault } from './errors.js';
import { extraSpecsOf, findFlavor } from './flavors.js';
import { keyForBoot } from './keypairs.js';
import { authorize, type ComputeCaller } from './policy.js';
import { checkMetadataCount, checkPersonality, enforced, quotaScopesOf, reserveInstances } from './quotas.js';
import { groupForBoot, joinGroup } from './server-groups.js';
import { zoneAvailable, zoneOfHost } from './aggregates.js';
import { allocatePorts, networkFault, planNetworks, releasePorts, type PlannedPort } from './networks.js';

const GiB = 1024 ** 3;
const DEFAULT_ZONE = 'nova';
/** Creates in flight at once for one boot of many servers: its memory stays bounded whatever the count. */
const BOOT_BATCH = 50;

/** Nova's generate_password: 12 characters from an alphabet without look-alikes. */
const PASSWORD_SYMBOLS = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const password = () => [...randomBytes(12)].map((b) => PASSWORD_SYMBOLS[b % PASSWORD_SYMBOLS.length]).join('');

/** What a boot made: the servers' ids and their reservation. */
export interface Booted {
  readonly ids: string[];
  readonly reservationId: string;
  readonly adminPass: string;
}

/** Nova's parse_availability_zone: `zone`, `zone:host`, `zone:host:node` or `zone::node`. */
function parseZone(value: string | undefined): { zone?: string; host?: string; node?: string } {
  if (!value || !value.includes(':')) return { zone: value || undefined };
  const parts = value.split(':');
  if (parts.length === 2) return { zone: parts[0] || undefined, host: parts[1] || undefined };
  if (parts.length === 3) return { zone: parts[0] || undefined, host: parts[1] || undefined, node: parts[2] || undefined };
  throw badRequest('Invalid input received: Unable to parse availability_zone');
}

/** Security groups by name: with no network service only each project's `default` exists. */
function checkSecurityGroups(names: readonly string[] | undefined): void {
  const missing = names?.find((n) => n !== 'default');
  if (missing !== undefined) throw badRequest(`Unable to find security_group with name or id '${missing}'`);
}

/** The image a server boots from, if the project may use it (asked of the image service); else Nova's 400. */
async function bootImage(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<BootImage> {
  const image = await d.images.bootImage(caller.auth, caller.project, id);
  if (!image) throw badRequest('Can not find requested image');
  return image;
}

/** Nova's _validate_flavor_image: the image is active and fits the flavor. */
function checkImageFits(caller: ComputeCaller, image: BootImage, flavor: FlavorRow): void {
  if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  if (flavor.memory_mb < image.minRamMb) throw badRequest("Flavor's memory is too small for requested image.");
  const disk = flavor.root_gb * GiB;
  // A zero root disk means "don't check", and is for admins only unless booting from a volume.
  if (disk === 0) {
    if (!caller.auth.isAdmin) throw new ComputeFault(403, 'Only volume-backed servers are allowed for flavors with zero disk.');
    return;
  }
  const size = Number(image.size ?? 0);
  if (size > disk) throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${disk} bytes, image is ${size} bytes.`);
  const minDisk = image.minDiskGb * GiB;
  if (minDisk > disk) {
    throw badRequest(
      `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${disk} bytes, minimum size is ${minDisk} bytes.`,
    );
  }
}

/** Runs `work` for every index, at most `width` at once; after a failure starts no more, and throws it once all have stopped. */
async function inBatches(count: number, width: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < count && !failure) {
      try {
        await work(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  if (failure) throw failure.error;
}

/**
 * A boot as Nova's servers controller and compute API run it, check by check in their order
 * (policy, zone and host, block devices and image, networks, flavor, key, quotas, fit), then
 * the servers' quota taken atomically and one `create` per server to the new instance actors.
 */
export async function bootServers(d: ComputeDeps, caller: ComputeCaller, request: BootRequest): Promise<Booted> {
  authorize(caller, 'os_compute_api:servers:create', 'member');
  const asked = parseZone(request.availabilityZone);
  let zone = asked.zone;
  let destination: { host: string; force: boolean } | undefined;
  if (asked.host || asked.node) {
    authorize(caller, 'os_compute_api:servers:create:forced_host', 'admin');
    const host = asked.host ?? asked.node!;
    // Nova keeps the zone asked for only if the forced host is in it.
    const hostZone = await zoneOfHost(d, host);
    if (zone && (hostZone !== undefined ? hostZone !== zone : zone !== DEFAULT_ZONE)) zone = undefined;
    destination = { host, force: true };
  }
  if (request.host || request.hypervisorHostname) {
    authorize(caller, 'compute:servers:create:requested_destination', 'admin');
    if (destination) {
      throw badRequest('One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.');
    }
  }
  const { image: imageRef, mapped } = imageOfBoot(request);
  checkNetworks(request.networks);
  // The reads a boot needs go out together; their refusals still come in Nova's order.
  const quotas = quotaScopesOf(d, caller.project, caller.auth.userId);
  const specs = extraSpecsOf(d, [request.flavorRef]);
  const imageRead = bootImage(d, caller, imageRef).then(
    (image) => ({ image }),
    (error: unknown) => ({ error }),
  );
  quotas.catch(() => {});
  specs.catch(() => {});
  const flavor = await findFlavor(d, request.flavorRef, { isAdmin: caller.auth.isAdmin, projectId: caller.project });
  if (!flavor || flavor.disabled) throw badRequest(`Flavor ${request.flavorRef} could not be found.`);

  if (request.hostname && request.maxCount > 1) throw badRequest('Unable to allocate a single hostname to multiple instances');
  if (zone && !destination) {
    if (!(await zoneAvailable(d, zone))) throw badRequest('The requested availability zone is not available');
  }
  const read = await imageRead;
  if ('error' in read) throw read.error;
  const image = read.image;
  // Another image named by the mappings must exist for the caller too (Nova's InvalidBDMImage).
  if (mapped && !(await d.images.bootImage(caller.auth, caller.project, mapped))) {
    throw badRequest(`Block Device Mapping is Invalid: failed to get image ${mapped}.`);
  }
  let plan: PlannedPort[] = [];
  if (d.network) {
    plan = await planNetworks(d.network, caller, request.networks, request.maxCount);
    // Nova checks the groups asked for with the Networking service also when the server gets no port.
    const groups = request.securityGroups;
    if (!plan.length && groups?.length) {
      try {
        await d.network.ports.securityGroupIds(caller.project, groups);
      } catch (error) {
        throw networkFault(error);
      }
    }
  } else {
    checkSecurityGroups(request.securityGroups);
    const lostNetwork = missingNetwork(request.networks);
    if (lostNetwork) throw badRequest(lostNetwork);
  }
  // The caller's own key pair (key pairs belong to users), else Nova's 400.
  const { key_name: keyName, key_data: keyData } = await keyForBoot(d, caller, request.keyName ?? null);
  // Chosen before the servers exist: the config drive their hosts write carries it (Nova's admin_pass).
  const adminPass = request.adminPass ?? password();
  const scopes = await quotas;
  const quota = enforced(scopes.project);
  // A user with limits of their own is held to them (the user's rows over the project's), as well as to the project's.
  const own = scopes.user && enforced(scopes.user);
  if (Object.keys(request.metadata).length) checkMetadataCount(request.metadata, (own ?? quota).metadata_items);
  checkPersonality(own ?? quota, request.personality);
  checkImageFits(caller, image, flavor);
  for (const wanted of [request.host, request.hypervisorHostname]) {
    if (wanted && !(await d.models.Host.findByPk(wanted))) throw badRequest(`Compute host ${wanted} could not be found.`);
  }
  if (request.host || request.hypervisorHostname) destination = { host: (request.host ?? request.hypervisorHostname)!, force: false };
  const extraSpecs = (await specs).get(flavor.id) ?? {};
  const group = request.group ? await groupForBoot(d, caller, request.group) : undefined;

  const reservation = await reserveInstances(d, caller.project, quota, flavor, request.minCount, request.maxCount, {
    id: caller.auth.userId,
    quota: own,
  });
  const { count } = reservation;
  const ids = Array.from({ length: count }, () => randomUUID());
  // Booted with networks 'none' a server has no ports, so no security group holds it.
  const groups = request.networks === 'none' ? [] : request.securityGroups?.length ? request.securityGroups : ['default'];
  const instance = computeActors(d.actors).instance;
  try {
    // Members before their instances exist: the scheduler and hosts read the group from the first placement.
    const leaveGroup = group ? await joinGroup(d, group, ids) : undefined;
    // Each answered only once the instance's row and its build message are committed together; the
    // servers of one request share their commits.
    const network = d.network;
    const at = new Date(d.clock.now());
    const portZone = zone ?? (destination ? DEFAULT_ZONE : d.defaultScheduleZone || DEFAULT_ZONE);
    await inBatches(count, BOOT_BATCH, async (index) => {
      // The ports first, then the instance: a crash between leaves ports the reconciler removes, never a server without them.
      if (network && plan.length) await allocatePorts(network, caller, ids[index], portZone, plan, request.securityGroups, at);
      const made = instance(ids[index]).create(
        {
          project_id: caller.project,
          user_id: caller.auth.userId,
          display_name: count > 1 ? `${request.name}-${index + 1}` : request.name,
          display_description: request.description,
          flavor_id: flavor.id,
          flavor_name: flavor.name,
          memory_mb: flavor.memory_mb,
          vcpus: flavor.vcpus,
          root_gb: flavor.root_gb,
          ephemeral_gb: flavor.ephemeral_gb,
          // The flavor as booted, kept with the server (Nova's embedded flavor).
          swap: flavor.swap,
          flavor_extra_specs: extraSpecs,
          image_ref: image.id,
          key_name: keyName,
          key_data: keyData,
          admin_pass: adminPass,
          // Nova's default_schedule_zone for a boot that names no zone and no host.
          availability_zone: zone ?? (destination ? null : d.defaultScheduleZone || null),
          reservation_id: reservation.id,
          launch_index: index,
          scheduler: d.scheduler(ids[index]),
          request_id: caller.correlationId,
          metadata: request.metadata,
          tags: request.tags,
          user_data: request.userData ?? null,
          access_ip_v4: request.accessIPv4 ?? null,
          access_ip_v6: request.accessIPv6 ?? null,
          config_drive: request.configDrive,
          auto_disk_config: request.autoDiskConfig ?? false,
          ...(request.hostname
            ? { hostname: request.hostname }
            : { hostname_base: request.name, ...(count > 1 ? { hostname_suffix: index + 1 } : {}) }),
          security_groups: groups,
          trusted_certs: request.trustedCerts ?? null,
          ...(group ? { server_group: group.uuid } : {}),
          ...(request.hostHints ? { host_hints: request.hostHints } : {}),
          requested_host: destination?.host ?? null,
          force_host: destination?.force ?? false,
        },
        { correlationId: caller.correlationId, commitOnly: true },
      );
      if (!network || !plan.length) return made;
      return made.catch(async (error: unknown) => {
        const links = await readRows(network.models.InstancePort, { where: { instance_uuid: ids[index] } });
        await releasePorts(
          network,
          links.map((l) => ({ id: l.port_id, preserve: !!l.preserve_on_delete })),
        ).catch(() => {});
        throw error;
      });
    }).catch(async (error: unknown) => {
      await leaveGroup?.();
      throw error;
    });
  } finally {
    // The rows written now count for themselves (a failed create's row does not exist).
    await reservation.release();
  }
  return { ids, reservationId: reservation.id, adminPass };
}
