import { randomBytes } from 'node:crypto';
import type { InstanceRow } from '../../models/index.js';
import { readRow } from '../../models/typed.js';
import { computeActors, type InstanceClient } from './actors.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault, forbidden } from './errors.js';
import { findKeyPair } from './keypairs.js';
import { checkMetadataCount, metadataLimit } from './quotas.js';
import { authorize, permits, type ComputeCaller, type RoleLevel } from './policy.js';
import { findServer, instanceNotFound, refuseOnRealHost } from './servers.js';

// The image-based server actions as Nova's compute API runs them (nova/compute/api.py snapshot, backup, shelve,
// shelve_offload, unshelve, rescue, unrescue, rebuild): the server found (404), the policy (403), the request's own
// checks (400), then the instance actor, which checks the lock and the states (409) and orders its host.

interface ImageAction {
  /** The action's name in Nova's 409 texts. */
  readonly name: string;
  readonly rule: string;
  readonly level: RoleLevel;
}

const ACTIONS = {
  createImage: { name: 'createImage', rule: 'os_compute_api:servers:create_image', level: 'member' },
  createBackup: { name: 'createBackup', rule: 'os_compute_api:os-create-backup', level: 'member' },
  shelve: { name: 'shelve', rule: 'os_compute_api:os-shelve:shelve', level: 'member' },
  shelveOffload: { name: 'shelveOffload', rule: 'os_compute_api:os-shelve:shelve_offload', level: 'admin' },
  unshelve: { name: 'unshelve', rule: 'os_compute_api:os-shelve:unshelve', level: 'member' },
  rescue: { name: 'rescue', rule: 'os_compute_api:os-rescue', level: 'member' },
  unrescue: { name: 'unrescue', rule: 'os_compute_api:os-unrescue', level: 'member' },
  rebuild: { name: 'rebuild', rule: 'os_compute_api:servers:rebuild', level: 'member' },
} as const satisfies Record<string, ImageAction>;

/** Nova's generate_password: 12 characters from an alphabet without look-alikes. */
const PASSWORD_SYMBOLS = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const password = () => [...randomBytes(12)].map((b) => PASSWORD_SYMBOLS[b % PASSWORD_SYMBOLS.length]).join('');

interface Refusal {
  reason: 'locked' | 'not_ready' | 'invalid_state';
  attr?: string;
  state?: string | null;
}

/** The instance actor's refusal in Nova's words (raise_http_conflict_for_instance_invalid_state, or the exception's text). */
function conflict(action: ImageAction, id: string, error: unknown): unknown {
  const e = error as { code?: string; message?: string; details?: Refusal };
  if (e.code !== 'rejected') return error;
  if (!e.details?.reason) return instanceNotFound(id);
  if (e.details.reason !== 'invalid_state') return new ComputeFault(409, e.message ?? '');
  return new ComputeFault(409, `Cannot '${action.name}' instance ${id} while it is in ${e.details.attr} ${e.details.state ?? 'None'}`);
}

interface Acting {
  readonly row: InstanceRow;
  readonly instance: InstanceClient;
  readonly from: { request_id: string; user_id: string; project_id: string; is_admin: boolean };
  readonly options: { correlationId: string; commitOnly: true };
}

/** The steps every action shares before its own: found, allowed, and on a host that can do it. */
async function begin(d: ComputeDeps, caller: ComputeCaller, id: string, action: ImageAction): Promise<Acting> {
  // A caller the policy refuses learns nothing of another project's server: 404 before 403, as Nova.
  const row = await findServer(d, caller, id);
  authorize(caller, action.rule, action.level);
  await refuseOnRealHost(d, row, () => `Cannot '${action.name}' instance ${row.uuid}: the action is not supported on host ${row.host} yet.`);
  const { auth, project, correlationId } = caller;
  return {
    row,
    instance: computeActors(d.actors).instance(row.uuid),
    from: { request_id: correlationId, user_id: auth.userId, project_id: project, is_admin: auth.isAdmin },
    options: { correlationId, commitOnly: true },
  };
}

async function asking<T>(action: ImageAction, id: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    throw conflict(action, id, error);
  }
}

export interface ImageRequest {
  readonly name: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** createBackup's type and rotation. */
  readonly backup?: { readonly type: string; readonly rotation: number };
}

/**
 * createImage and createBackup: the image recorded first (queued, with Nova's properties), then the instance's
 * snapshot; a refused one leaves no image behind. Answers the image's id.
 */
export async function createServerImage(d: ComputeDeps, caller: ComputeCaller, id: string, request: ImageRequest): Promise<string> {
  const action = request.backup ? ACTIONS.createBackup : ACTIONS.createImage;
  const a = await begin(d, caller, id, action);
  // Nova's volume-backed snapshot takes its own policy and volume snapshots; there are no volumes here yet.
  if (!a.row.image_ref) throw badRequest(`Instance ${a.row.uuid} is volume-backed; snapshots of volume-backed servers are not supported yet.`);
  // Nova's check_img_metadata_properties_quota: the image's metadata counts against metadata_items.
  const items = Object.keys(request.metadata ?? {}).length;
  if (items) {
    const limit = await metadataLimit(d, caller.project);
    if (limit >= 0 && items > limit) throw new ComputeFault(403, 'Image metadata limit exceeded');
  }
  const imageId = await d.images.createServerImage({
    name: request.name,
    owner: caller.project,
    user_id: caller.auth.userId,
    instance_uuid: a.row.uuid,
    base_image_ref: a.row.image_ref,
    image_type: request.backup ? 'backup' : 'snapshot',
    ...(request.backup ? { backup_type: request.backup.type } : {}),
    root_gb: a.row.root_gb,
    extra_properties: request.metadata ?? {},
  });
  try {
    await asking(action, id, () =>
      request.backup
        ? a.instance.backup({ ...a.from, image_id: imageId, backup_type: request.backup.type, rotation: request.backup.rotation }, a.options)
        : a.instance.snapshot({ ...a.from, image_id: imageId }, a.options),
    );
  } catch (error) {
    await d.images.deleteServerImage(imageId).catch(() => {});
    throw error;
  }
  return imageId;
}

/** shelve: the snapshot `<name>-shelved` recorded, then the instance's shelve. */
export async function shelveServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const a = await begin(d, caller, id, ACTIONS.shelve);
  if (!a.row.image_ref) throw badRequest(`Instance ${a.row.uuid} is volume-backed; shelving volume-backed servers is not supported yet.`);
  const imageId = await d.images.createServerImage({
    name: `${a.row.display_name}-shelved`.slice(0, 255),
    owner: caller.project,
    user_id: caller.auth.userId,
    instance_uuid: a.row.uuid,
    base_image_ref: a.row.image_ref,
    image_type: 'snapshot',
    root_gb: a.row.root_gb,
    extra_properties: {},
  });
  try {
    await asking(ACTIONS.shelve, id, () => a.instance.shelve({ ...a.from, image_id: imageId }, a.options));
  } catch (error) {
    await d.images.deleteServerImage(imageId).catch(() => {});
    throw error;
  }
}

export async function shelveOffloadServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const a = await begin(d, caller, id, ACTIONS.shelveOffload);
  await asking(ACTIONS.shelveOffload, id, () => a.instance.shelveOffload(a.from, a.options));
}

export interface UnshelveRequest {
  /** A zone (2.77), or null to unpin the server from its zone (2.91); absent: where it was. */
  readonly availability_zone?: string | null;
  /** A host (2.91, admins). */
  readonly host?: string;
}

/** unshelve with Nova's checks of a zone or host asked for (nova/compute/api.py unshelve, 2.77 and 2.91). */
export async function unshelveServer(d: ComputeDeps, caller: ComputeCaller, id: string, request: UnshelveRequest): Promise<void> {
  const a = await begin(d, caller, id, ACTIONS.unshelve);
  if (request.host !== undefined && !permits(caller, 'admin')) throw forbidden('os_compute_api:os-shelve:unshelve_to_host');
  const asked = request.availability_zone !== undefined || request.host !== undefined;
  if (asked && a.row.vm_state === 'shelved')
    throw new ComputeFault(
      409,
      `Specifying an availability zone or a host when unshelving server ${a.row.uuid} with status SHELVED is not supported. The server status must be SHELVED_OFFLOADED.`,
    );
  if (request.host !== undefined) {
    const host = await readRow(d.models.Host, { where: { name: request.host }, attributes: ['name', 'availability_zone'] });
    if (!host) throw badRequest(`Compute host ${request.host} could not be found.`);
    const zone = request.availability_zone === undefined ? a.row.availability_zone : request.availability_zone;
    if (zone && host.availability_zone !== zone) throw badRequest(`Host "${request.host}" is not in the availability zone "${zone}".`);
  } else if (request.availability_zone) {
    const available = await readRow(d.models.Host, {
      where: { availability_zone: request.availability_zone, service_disabled: false },
      attributes: ['name'],
    });
    if (!available) throw badRequest('The requested availability zone is not available');
  }
  await asking(ACTIONS.unshelve, id, () =>
    a.instance.unshelve(
      {
        ...a.from,
        scheduler: d.scheduler(a.row.uuid),
        ...(request.availability_zone !== undefined ? { availability_zone: request.availability_zone } : {}),
        ...(request.host !== undefined ? { host: request.host } : {}),
      },
      a.options,
    ),
  );
}

/** rescue: answers the rescue password (the caller's, or a new one) as Nova does with enable_instance_password. */
export async function rescueServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  request: { adminPass?: string; rescue_image_ref?: string; stableRescue: boolean },
): Promise<string> {
  const a = await begin(d, caller, id, ACTIONS.rescue);
  // Nova's InstanceNotRescuable: a volume-backed server needs the stable device rescue of 2.87.
  if (!a.row.image_ref && !request.stableRescue) throw badRequest(`Instance ${a.row.uuid} cannot be rescued: Cannot rescue a volume-backed instance`);
  if (request.rescue_image_ref && !(await d.images.bootImage(caller.auth, caller.project, request.rescue_image_ref)))
    throw badRequest(`Image ${request.rescue_image_ref} could not be found.`);
  await asking(ACTIONS.rescue, id, () =>
    a.instance.rescue({ ...a.from, ...(request.rescue_image_ref ? { rescue_image_ref: request.rescue_image_ref } : {}) }, a.options),
  );
  return request.adminPass ?? password();
}

export async function unrescueServer(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  const a = await begin(d, caller, id, ACTIONS.unrescue);
  await asking(ACTIONS.unrescue, id, () => a.instance.unrescue(a.from, a.options));
}

export interface RebuildRequest {
  readonly imageRef: string;
  readonly name?: string;
  readonly adminPass?: string;
  readonly metadata?: Record<string, string>;
  readonly description?: string | null;
  /** undefined: unchanged; null: removed (2.54). */
  readonly keyName?: string | null;
  readonly userData?: string | null;
  readonly hostname?: string;
  readonly accessIPv4?: string;
  readonly accessIPv6?: string;
  readonly preserveEphemeral?: boolean;
  /** OS-DCF:diskConfig: AUTO (true) or MANUAL (false). */
  readonly autoDiskConfig?: boolean;
}

/** rebuild: the image checked as a boot checks it, then the instance's rebuild; answers the row and the password. */
export async function rebuildServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  r: RebuildRequest,
): Promise<{ row: InstanceRow; adminPass: string }> {
  const a = await begin(d, caller, id, ACTIONS.rebuild);
  const image = await d.images.bootImage(caller.auth, caller.project, r.imageRef);
  if (!image) throw badRequest('Cannot find image for rebuild');
  if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  if (a.row.memory_mb < image.minRamMb) throw badRequest("Flavor's memory is too small for requested image.");
  if (a.row.root_gb && a.row.root_gb < image.minDiskGb) throw badRequest("Flavor's disk is too small for requested image.");
  if (r.keyName && !(await findKeyPair(d, caller.auth.userId, r.keyName))) throw badRequest('Invalid key_name provided.');
  if (r.metadata && Object.keys(r.metadata).length) checkMetadataCount(r.metadata, await metadataLimit(d, caller.project));
  const row = await asking(ACTIONS.rebuild, id, () =>
    a.instance.rebuild(
      {
        ...a.from,
        image_ref: r.imageRef,
        ...(r.name !== undefined ? { display_name: r.name } : {}),
        ...(r.description !== undefined ? { display_description: r.description } : {}),
        ...(r.metadata !== undefined ? { metadata: r.metadata } : {}),
        ...(r.keyName !== undefined ? { key_name: r.keyName } : {}),
        ...(r.userData !== undefined ? { user_data: r.userData } : {}),
        ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
        ...(r.accessIPv4 !== undefined ? { access_ip_v4: r.accessIPv4 } : {}),
        ...(r.accessIPv6 !== undefined ? { access_ip_v6: r.accessIPv6 } : {}),
        ...(r.preserveEphemeral !== undefined ? { preserve_ephemeral: r.preserveEphemeral } : {}),
        ...(r.autoDiskConfig !== undefined ? { auto_disk_config: r.autoDiskConfig } : {}),
      },
      a.options,
    ),
  );
  return { row, adminPass: r.adminPass ?? password() };
}
