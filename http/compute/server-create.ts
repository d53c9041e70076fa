import { randomBytes, randomUUID } from 'node:crypto';
import type { FlavorRow, HostRow, ImageRow } from '../../models/index.js';
import { ref } from '../../runtime/ref.js';
import { visible } from '../images/access.js';
import { badRequest, NovaFault } from './errors.js';
import { checkMetadataCount, checkPersonality, instancesAllowed, metadataLimit, quotasOf } from './quota-check.js';
import { extraSpecsOf, findFlavor } from './flavor-store.js';
import { keyForBoot } from './keypair-store.js';
import { checkNetworks, missingNetwork, parseBootRequest, type BootRequest } from './server-request.js';
import { authorize, type ComputeContext, type ComputeServices } from './services.js';

const GiB = 1024 ** 3;
const DEFAULT_ZONE = 'nova';

/** Nova's generate_password: 12 characters from an alphabet without look-alikes. */
const PASSWORD_SYMBOLS = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const password = () => [...randomBytes(12)].map((b) => PASSWORD_SYMBOLS[b % PASSWORD_SYMBOLS.length]).join('');
const reservationId = () => `r-${randomBytes(6).toString('hex').slice(0, 8)}`;

/** What a boot made: the servers' ids and their reservation. */
export interface Booted { readonly ids: string[]; readonly reservationId: string; readonly request: BootRequest; readonly adminPass: string }

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

/** The image a server boots from, if the project may use it; else Nova's 400. */
async function bootImage(s: ComputeServices, ctx: ComputeContext, id: string): Promise<ImageRow> {
  const row = await s.models.Image.findOne({ where: { id }, raw: true }) as ImageRow | null;
  // Membership matters only for a shared image of another project; most boots need one read.
  const shared = row?.visibility === 'shared' && row.owner !== ctx.state.project && !ctx.state.auth.isAdmin;
  const mine = shared ? (await s.images.membersOf(id)).find((m) => m.member === ctx.state.project) : undefined;
  if (!row || !visible(ctx.state.auth, row, mine?.status)) throw badRequest('Can not find requested image');
  return row;
}

/** Nova's _validate_flavor_image: the image is active and fits the flavor. */
function checkImageFits(ctx: ComputeContext, image: ImageRow, flavor: FlavorRow): void {
  if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  if (flavor.memory_mb < (image.min_ram || 0)) throw badRequest("Flavor's memory is too small for requested image.");
  const disk = flavor.root_gb * GiB;
  // A zero root disk means "don't check", and is for admins only unless booting from a volume.
  if (disk === 0) {
    if (!ctx.state.auth.isAdmin) throw new NovaFault(403, 'Only volume-backed servers are allowed for flavors with zero disk.');
    return;
  }
  const size = Number(image.size ?? 0);
  if (size > disk) throw badRequest(`Flavor's disk is too small for requested image. Flavor disk is ${disk} bytes, image is ${size} bytes.`);
  const minDisk = (image.min_disk || 0) * GiB;
  if (minDisk > disk) {
    throw badRequest(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${disk} bytes, minimum size is ${minDisk} bytes.`);
  }
}

/**
 * POST /servers as Nova's servers controller and compute API run it, check by check in their
 * order, then one `create` per server to the new instance actors.
 */
export async function bootServers(s: ComputeServices, ctx: ComputeContext, body: unknown): Promise<Booted> {
  const v = ctx.state.version;
  const request = parseBootRequest(body, v);
  authorize(ctx, 'os_compute_api:servers:create', 'member');
  const asked = parseZone(request.availabilityZone);
  let zone = asked.zone;
  let destination: { host: string; force: boolean } | undefined;
  if (asked.host || asked.node) {
    authorize(ctx, 'os_compute_api:servers:create:forced_host', 'admin');
    const host = asked.host ?? asked.node!;
    // Nova keeps the zone asked for only if the forced host is in it.
    const row = await s.models.Host.findByPk(host, { raw: true }) as HostRow | null;
    if (zone && (row ? row.availability_zone !== zone : zone !== DEFAULT_ZONE)) zone = undefined;
    destination = { host, force: true };
  }
  if (request.host || request.hypervisorHostname) {
    authorize(ctx, 'compute:servers:create:requested_destination', 'admin');
    if (destination) {
      throw badRequest('One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.');
    }
  }
  if (request.blockDevices) throw badRequest('Booting from volume is not supported by this cloud yet.');
  if (!request.imageRef) throw badRequest('Missing imageRef attribute');
  checkNetworks(request.networks);
  // The reads a boot needs go out together; their refusals still come in Nova's order.
  const quotas = quotasOf(s, ctx.state.project);
  const specs = extraSpecsOf(s, [request.flavorRef]);
  const imageRead = bootImage(s, ctx, request.imageRef).then((row) => ({ row }), (error: unknown) => ({ error }));
  quotas.catch(() => {});
  specs.catch(() => {});
  const flavor = await findFlavor(s, request.flavorRef, { isAdmin: ctx.state.auth.isAdmin, projectId: ctx.state.project });
  if (!flavor || flavor.disabled) throw badRequest(`Flavor ${request.flavorRef} could not be found.`);

  if (request.hostname && request.maxCount > 1) throw badRequest('Unable to allocate a single hostname to multiple instances');
  if (zone && !destination) {
    const available = await s.models.Host.findOne({ where: { availability_zone: zone, service_disabled: false } });
    if (!available) throw badRequest('The requested availability zone is not available');
  }
  const read = await imageRead;
  if ('error' in read) throw read.error;
  const image = read.row;
  checkSecurityGroups(request.securityGroups);
  const lostNetwork = missingNetwork(request.networks);
  if (lostNetwork) throw badRequest(lostNetwork);
  // The caller's own key pair (key pairs belong to users), else Nova's 400.
  const { key_name: keyName } = await keyForBoot(s, ctx, request.keyName ?? null);
  if (Object.keys(request.metadata).length) checkMetadataCount(request.metadata, await metadataLimit(s, ctx.state.project));
  await checkPersonality(s, ctx.state.project, request.personality);
  checkImageFits(ctx, image, flavor);
  for (const wanted of [request.host, request.hypervisorHostname]) {
    if (wanted && !(await s.models.Host.findByPk(wanted))) throw badRequest(`Compute host ${wanted} could not be found.`);
  }
  if (request.host || request.hypervisorHostname) destination = { host: (request.host ?? request.hypervisorHostname)!, force: false };
  const count = await instancesAllowed(s, ctx.state.project, flavor, request.minCount, request.maxCount, quotas);
  const extraSpecs = (await specs).get(flavor.id) ?? {};

  const reservation = reservationId();
  const ids = Array.from({ length: count }, () => randomUUID());
  // Booted with networks 'none' a server has no ports, so no security group holds it.
  const groups = request.networks === 'none' ? [] : request.securityGroups?.length ? request.securityGroups : ['default'];
  // Each answered only once the instance's row and its build message are committed together; the
  // servers of one request share their commits.
  await Promise.all(ids.map((uuid, index) => s.actors.ask(ref('instance', uuid), 'create', {
      project_id: ctx.state.project, user_id: ctx.state.auth.userId,
      display_name: count > 1 ? `${request.name}-${index + 1}` : request.name,
      display_description: request.description, flavor_id: flavor.id, flavor_name: flavor.name,
      memory_mb: flavor.memory_mb, vcpus: flavor.vcpus, root_gb: flavor.root_gb, ephemeral_gb: flavor.ephemeral_gb,
      // The flavor as booted, kept with the server (Nova's embedded flavor).
      swap: flavor.swap, flavor_extra_specs: extraSpecs,
      image_ref: image.id, key_name: keyName, availability_zone: zone ?? null,
      reservation_id: reservation, launch_index: index, scheduler: s.scheduler, request_id: ctx.state.correlationId,
      metadata: request.metadata, tags: request.tags, user_data: request.userData ?? null,
      access_ip_v4: request.accessIPv4 ?? null, access_ip_v6: request.accessIPv6 ?? null,
      config_drive: request.configDrive, auto_disk_config: request.autoDiskConfig ?? false,
      ...(request.hostname ? { hostname: request.hostname } : { hostname_base: request.name, ...(count > 1 ? { hostname_suffix: index + 1 } : {}) }),
      security_groups: groups, trusted_certs: request.trustedCerts ?? null,
      requested_host: destination?.host ?? null, force_host: destination?.force ?? false,
    }, { correlationId: ctx.state.correlationId, commitOnly: true })));
  return { ids, reservationId: reservation, request, adminPass: request.adminPass ?? password() };
}
