import { randomInt, randomUUID } from 'node:crypto';
import type { InstanceRow } from '../../models/index.js';
import { readRow } from '../../models/typed.js';
import { computeActors } from './actors.js';
import type { ComputeDeps, MoveSettings } from './deps.js';
import { badRequest, ComputeFault, forbidden } from './errors.js';
import { extraSpecsOf, findFlavor } from './flavors.js';
import { permits, type ComputeCaller } from './policy.js';
import { instanceUsage, quotasOf } from './quotas.js';
import { findServer, instanceNotFound, refuseOnRealHost } from './servers.js';

// Moving servers (Nova's compute/api.py resize, migrate, live_migrate, confirm_resize, revert_resize):
// the policy, the flavor and quota checks, the real-host refusal; the instance actor checks the
// lock and the states and picks the destination.

export const DEFAULT_MOVE_SETTINGS: MoveSettings = { allowResizeToSameHost: false, resizeConfirmWindowS: 0 };

/**
 * A migration's integer id (Nova's autoincrement column). The row is written by the instance actor, so the API
 * picks the id: a sequence of this process, started above the highest id recorded, times 1,000, plus a slot
 * drawn once per process, so API nodes sharing the table never pick the same one.
 */
const SLOT = randomInt(1000);
let sequence: number | undefined;
async function nextId(d: ComputeDeps): Promise<number> {
  if (sequence === undefined) {
    const highest = Number((await d.models.Migration.max('id')) ?? 0);
    sequence = Math.max(sequence ?? 0, Math.floor(highest / 1000));
  }
  sequence += 1;
  return sequence * 1000 + SLOT;
}

const callerFields = (caller: ComputeCaller) => ({
  request_id: caller.correlationId,
  user_id: caller.auth.userId,
  project_id: caller.project,
  is_admin: caller.auth.isAdmin,
});

interface Refusal {
  reason?: string;
  attr?: string;
  state?: string | null;
  status?: number;
}

/** The instance's refusal in Nova's words: raise_http_conflict_for_instance_invalid_state, or its status and text. */
function refusal(error: unknown, id: string, action: string): unknown {
  const e = error as { code?: string; message?: string; details?: Refusal };
  if (e.code !== 'rejected') return error;
  const r = e.details;
  if (!r) return instanceNotFound(id);
  if (r.status) return new ComputeFault(r.status, e.message ?? '');
  if (r.reason === 'invalid_state') return new ComputeFault(409, `Cannot '${action}' instance ${id} while it is in ${r.attr} ${r.state ?? 'None'}`);
  return new ComputeFault(409, e.message ?? '');
}

/** On a real host the actions that move a guest's disks wait for a later release: Nova's 409 form, saying so. */
const simulatedOnly = (d: ComputeDeps, row: InstanceRow, action: string) =>
  refuseOnRealHost(
    d,
    row,
    () => `Cannot '${action}' instance ${row.uuid}: moving the disks of a guest on real host ${row.host} is not supported yet.`,
  );

/** The server for an action: 404 first (admins see every project's), then the policy's 403. */
async function target(d: ComputeDeps, caller: ComputeCaller, id: string, rule: string, level: 'member' | 'admin'): Promise<InstanceRow> {
  if (!permits(caller, level)) {
    await findServer(d, caller, id, { attributes: ['project_id'] });
    throw forbidden(rule);
  }
  return findServer(d, caller, id);
}

async function knownHost(d: ComputeDeps, host: string): Promise<void> {
  const row = await readRow(d.models.Host, { where: { name: host }, attributes: ['name'] });
  if (!row) throw badRequest(`Compute host ${host} could not be found.`);
}

/** Nova's _check_quota_for_upsize: the cores and RAM a bigger flavor adds, against the project's limits. */
async function checkUpsize(d: ComputeDeps, row: InstanceRow, vcpus: number, ram: number): Promise<void> {
  const deltas = { cores: vcpus - row.vcpus, ram: ram - row.memory_mb };
  if (deltas.cores <= 0 && deltas.ram <= 0) return;
  const [limits, used] = await Promise.all([quotasOf(d, row.project_id), instanceUsage(d, row.project_id)]);
  const over = (['cores', 'ram'] as const).filter((r) => deltas[r] > 0 && limits[r] >= 0 && used[r] + deltas[r] > limits[r]);
  if (!over.length) return;
  const [r] = over;
  throw new ComputeFault(403, `Quota exceeded for ${r}: Requested ${deltas[r]}, but already used ${used[r]} of ${limits[r]} ${r}`);
}

/** resize (flavorRef) and migrate (no flavor): Nova's checks, then the instance picks the destination. */
export async function resizeServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  request: { flavorRef?: string; host?: string; async?: boolean; autoDiskConfig?: boolean },
): Promise<void> {
  const settings = d.moves ?? DEFAULT_MOVE_SETTINGS;
  const resize = request.flavorRef !== undefined;
  const action = resize ? 'resize' : 'migrate';
  const row = await target(
    d,
    caller,
    id,
    resize ? 'os_compute_api:servers:resize' : 'os_compute_api:os-migrate-server:migrate',
    resize ? 'member' : 'admin',
  );
  await simulatedOnly(d, row, action);
  let flavor = {
    flavor_id: row.flavor_id,
    flavor_name: row.flavor_name,
    memory_mb: row.memory_mb,
    vcpus: row.vcpus,
    root_gb: row.root_gb,
    ephemeral_gb: row.ephemeral_gb,
    swap: row.swap,
    flavor_extra_specs: row.flavor_extra_specs,
  };
  if (resize) {
    const found = await findFlavor(d, request.flavorRef!, { isAdmin: caller.auth.isAdmin, projectId: caller.project });
    // Nova's servers._resize: FlavorNotFound (a disabled one too) and CannotResizeToSameFlavor in its words.
    if (!found || found.disabled) throw badRequest('Unable to locate requested flavor.');
    if (found.id === row.flavor_id) throw badRequest('Resize requires a flavor change.');
    if (found.root_gb === 0 && row.root_gb !== 0)
      throw badRequest('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
    // Nova's libvirt driver refuses a smaller root disk (FlavorDiskSmallerThanImage on resize): refused up front here.
    if (found.root_gb < row.root_gb) throw badRequest('Server disk was unable to be resized because: Unable to resize disk down.');
    await checkUpsize(d, row, found.vcpus, found.memory_mb);
    const specs = (await extraSpecsOf(d, [found.id])).get(found.id) ?? {};
    flavor = {
      flavor_id: found.id,
      flavor_name: found.name,
      memory_mb: found.memory_mb,
      vcpus: found.vcpus,
      root_gb: found.root_gb,
      ephemeral_gb: found.ephemeral_gb,
      swap: found.swap,
      flavor_extra_specs: JSON.stringify(specs),
    };
  }
  if (request.host) await knownHost(d, request.host);
  try {
    await computeActors(d.actors)
      .instance(row.uuid)
      .resize(
        {
          ...callerFields(caller),
          migration_uuid: randomUUID(),
          migration_id: await nextId(d),
          scheduler: d.scheduler(row.uuid),
          ...(request.host ? { host: request.host } : {}),
          async: request.async ?? false,
          migration_type: resize ? 'resize' : 'migration',
          flavor,
          // Nova resizes on the same host only when allowed; a cold migration always leaves it.
          same_host: resize && settings.allowResizeToSameHost,
          confirm_window_ms: settings.resizeConfirmWindowS * 1000,
          // Nova's compute API sets the resized server's auto_disk_config to the one asked for, MANUAL when none is.
          ...(resize ? { auto_disk_config: request.autoDiskConfig ?? false } : {}),
        },
        { correlationId: caller.correlationId, commitOnly: true },
      );
  } catch (error) {
    throw refusal(error, id, action);
  }
}

/** os-migrateLive: admin only; the destination (if named) must exist. */
export async function liveMigrateServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  request: { host?: string; force: boolean; blockMigration: boolean; async: boolean },
): Promise<void> {
  const row = await target(d, caller, id, 'os_compute_api:os-migrate-server:migrate_live', 'admin');
  await simulatedOnly(d, row, 'os-migrateLive');
  if (request.host) await knownHost(d, request.host);
  try {
    await computeActors(d.actors)
      .instance(row.uuid)
      .liveMigrate(
        {
          ...callerFields(caller),
          migration_uuid: randomUUID(),
          migration_id: await nextId(d),
          scheduler: d.scheduler(row.uuid),
          ...(request.host ? { host: request.host } : {}),
          async: request.async,
          force: request.force,
          block_migration: request.blockMigration,
        },
        { correlationId: caller.correlationId, commitOnly: true },
      );
  } catch (error) {
    throw refusal(error, id, 'os-migrateLive');
  }
}

/** confirmResize and revertResize (project members, as Nova's defaults). */
export async function settleResize(d: ComputeDeps, caller: ComputeCaller, id: string, which: 'confirmResize' | 'revertResize'): Promise<void> {
  const row = await target(
    d,
    caller,
    id,
    which === 'confirmResize' ? 'os_compute_api:servers:confirm_resize' : 'os_compute_api:servers:revert_resize',
    'member',
  );
  try {
    await computeActors(d.actors).instance(row.uuid)[which](callerFields(caller), { correlationId: caller.correlationId, commitOnly: true });
  } catch (error) {
    throw refusal(error, id, which);
  }
}

/** Nova's servicegroup answer for evacuate: up while reporting within service_down_time and not forced down. */
const serviceIsUp = (h: { status: string; forced_down: boolean; last_seen_at: Date | null }, now: number, downMs: number) =>
  h.status === 'up' && !h.forced_down && h.last_seen_at !== null && now - new Date(h.last_seen_at).getTime() <= downMs;

/**
 * evacuate (admin): the server rebuilt on another host because its own host's compute service is down (Nova's
 * 400 while it is up).
 */
export async function evacuateServer(
  d: ComputeDeps,
  caller: ComputeCaller,
  id: string,
  request: { host?: string; force: boolean; serviceDownMs: number },
): Promise<void> {
  const row = await target(d, caller, id, 'os_compute_api:os-evacuate', 'admin');
  if (request.host) {
    const known = await readRow(d.models.Host, { where: { name: request.host }, attributes: ['name'] });
    if (!known) throw new ComputeFault(404, `Compute host ${request.host} not found.`);
    if (request.host === row.host) throw badRequest("The target host can't be the same one.");
  }
  await simulatedOnly(d, row, 'evacuate');
  if (row.host) {
    const source = await readRow(d.models.Host, { where: { name: row.host } });
    // The state check comes first in Nova (check_instance_state), then the source's service.
    const stateOk = ['active', 'stopped', 'error'].includes(row.vm_state) && row.task_state === null;
    if (stateOk && source && serviceIsUp(source, d.clock.now(), request.serviceDownMs))
      throw badRequest(`Compute service of ${row.host} is still in use.`);
  }
  try {
    await computeActors(d.actors)
      .instance(row.uuid)
      .evacuate(
        {
          ...callerFields(caller),
          migration_uuid: randomUUID(),
          migration_id: await nextId(d),
          scheduler: d.scheduler(row.uuid),
          ...(request.host ? { host: request.host } : {}),
          // The conductor's rebuild is a cast: a destination refused is the migration's error, not the caller's.
          async: true,
          force: request.force,
        },
        { correlationId: caller.correlationId, commitOnly: true },
      );
  } catch (error) {
    throw refusal(error, id, 'evacuate');
  }
}
