import { randomBytes } from 'node:crypto';
import { fn, col, Op, QueryTypes, Transaction } from 'sequelize';
import type { Models } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { Clock } from '../../runtime/clock.js';
import { badRequest, ComputeFault } from './errors.js';

// The one quota module: enforcement (boots, metadata, personality, key pairs) and GET /limits read
// the same rows through it.

export interface QuotaDefaults {
  readonly instances: number;
  readonly cores: number;
  readonly ramMb: number;
  readonly keyPairs: number;
}

export interface QuotaDeps {
  readonly models: Models;
  readonly clock: Clock;
  readonly quotas: QuotaDefaults;
  /** The most servers one request creates, whatever the quota (a boot of 10^30 servers is refused, not attempted). */
  readonly maxServersPerRequest: number;
  /** How long a boot's reservation holds if its API node dies before dropping it. */
  readonly reservationMs: number;
}

// Nova's defaults for the limits that have no configuration key here (nova.conf [quota]).
const DEFAULT_METADATA_ITEMS = 128;
const DEFAULT_INJECTED_FILES = 5;
const DEFAULT_INJECTED_FILE_CONTENT_BYTES = 10240;
const DEFAULT_INJECTED_FILE_PATH_BYTES = 255;

/** A project's limits: its own quota rows over the defaults (-1 is unlimited). */
export interface ProjectQuotas {
  readonly instances: number;
  readonly cores: number;
  readonly ram: number;
  readonly key_pairs: number;
  readonly metadata_items: number;
  readonly injected_files: number;
  readonly injected_file_content_bytes: number;
  readonly injected_file_path_bytes: number;
}

export async function quotasOf(d: Pick<QuotaDeps, 'models' | 'quotas'>, project: string): Promise<ProjectQuotas> {
  const rows = await readRows(d.models.Quota, { where: { project_id: project } });
  const own = new Map(rows.map((q) => [q.resource, q.hard_limit]));
  return {
    instances: own.get('instances') ?? d.quotas.instances,
    cores: own.get('cores') ?? d.quotas.cores,
    ram: own.get('ram') ?? d.quotas.ramMb,
    key_pairs: own.get('key_pairs') ?? d.quotas.keyPairs,
    metadata_items: own.get('metadata_items') ?? DEFAULT_METADATA_ITEMS,
    injected_files: own.get('injected_files') ?? DEFAULT_INJECTED_FILES,
    injected_file_content_bytes: own.get('injected_file_content_bytes') ?? DEFAULT_INJECTED_FILE_CONTENT_BYTES,
    injected_file_path_bytes: own.get('injected_file_path_bytes') ?? DEFAULT_INJECTED_FILE_PATH_BYTES,
  };
}

export interface InstanceUsage {
  instances: number;
  cores: number;
  ram: number;
}

/**
 * What a project's servers hold: every server not deleted counts, whatever its state, as Nova counts;
 * those of a boot whose reservation is live (`except`) are counted by the reservation instead.
 */
export async function instanceUsage(
  d: Pick<QuotaDeps, 'models'>,
  project: string,
  options: { except?: string[]; transaction?: Transaction } = {},
): Promise<InstanceUsage> {
  const where = { project_id: project, deleted_at: null, ...(options.except?.length ? { reservation_id: { [Op.notIn]: options.except } } : {}) };
  // Aggregates under aliases: no model type knows these columns, and PostgreSQL hands the sums back as text.
  const [row] = (await d.models.Instance.findAll({
    where,
    transaction: options.transaction,
    attributes: [
      [fn('COUNT', col('uuid')), 'instances'],
      [fn('SUM', col('vcpus')), 'cores'],
      [fn('SUM', col('memory_mb')), 'ram'],
    ],
    raw: true,
  })) as unknown as Array<{ instances: number | string; cores: number | string | null; ram: number | string | null }>;
  return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

/** Nova's _check_metadata_properties_quota: a 403 over the limit. */
export function checkMetadataCount(items: Record<string, string>, limit: number): void {
  if (limit >= 0 && Object.keys(items).length > limit) throw new ComputeFault(403, `Maximum number of metadata items exceeds ${limit}`);
}

/** Nova's _check_injected_file_quota for personality files: the count, then the longest path, then the longest content. */
export function checkPersonality(quota: ProjectQuotas, files: ReadonlyArray<{ path?: string; contents?: string }>): void {
  if (!files.length) return;
  const count = quota.injected_files;
  if (count >= 0 && files.length > count) throw new ComputeFault(403, 'Personality file limit exceeded');
  const paths = quota.injected_file_path_bytes;
  if (paths >= 0 && Math.max(...files.map((f) => (f.path ?? '').length)) > paths)
    throw new ComputeFault(403, `Personality file path exceeds maximum ${paths}`);
  const contents = quota.injected_file_content_bytes;
  if (contents >= 0 && Math.max(...files.map((f) => (f.contents ?? '').length)) > contents) {
    throw new ComputeFault(403, `Personality file content exceeds maximum ${contents}`);
  }
}

const RESOURCES = ['instances', 'cores', 'ram'] as const;
type Resource = (typeof RESOURCES)[number];

// Python prints a large int in full, where JavaScript would write 1e+30 (or Infinity for a product).
const whole = (n: number, times = 1) => (Number.isInteger(n) ? (BigInt(n) * BigInt(times)).toString() : String(n * times));

/**
 * How many of `min..max` servers of this flavor the limits allow given what is used, as Nova's
 * check_num_instances_quota: as many as fit up to max, or its 403 when fewer than min fit.
 */
export function instancesAllowed(
  quota: ProjectQuotas,
  used: InstanceUsage,
  flavor: { vcpus: number; memory_mb: number },
  min: number,
  max: number,
): number {
  const limits: Record<Resource, number> = { instances: quota.instances, cores: quota.cores, ram: quota.ram };
  const per: Record<Resource, number> = { instances: 1, cores: flavor.vcpus, ram: flavor.memory_mb };
  const overs = RESOURCES.filter((r) => limits[r] >= 0 && used[r] + per[r] * max > limits[r]);
  if (!overs.length) return max;
  // Headroom in servers of this flavor, each limited resource counted.
  const allowed = Math.min(...RESOURCES.filter((r) => limits[r] >= 0 && per[r] > 0).map((r) => Math.floor((limits[r] - used[r]) / per[r])));
  if (allowed >= min && allowed <= max) return allowed;
  const requested = { instances: min === max ? whole(min) : `${whole(min)}-${whole(max)}`, cores: whole(max, per.cores), ram: whole(max, per.ram) };
  const list = (f: (r: Resource) => string) => overs.map(f).join(', ');
  throw new ComputeFault(
    403,
    `Quota exceeded for ${list((r) => r)}: Requested ${list((r) => requested[r])}, but already used ${list((r) => String(used[r]))} of ${list((r) => String(limits[r]))} ${list((r) => r)}`,
  );
}

/** A boot's hold on its project's quota: `count` servers under reservation `id`, until `release`. */
export interface Reservation {
  readonly id: string;
  readonly count: number;
  release(): Promise<void>;
}

/** Nova's reservation ids: `r-` and eight hex digits. */
export const reservationId = () => `r-${randomBytes(4).toString('hex')}`;

/** The per-request cap, past quotas: at most `cap`; a boot whose minimum exceeds it is refused. */
function capped(d: Pick<QuotaDeps, 'maxServersPerRequest'>, min: number, count: number): number {
  const cap = d.maxServersPerRequest;
  if (min > cap) throw badRequest(`min_count ${whole(min)} exceeds the ${cap} servers one request may create on this cloud.`);
  return Math.min(count, cap);
}

// SQLite's quota transactions of this process, one after another. A connection waiting for SQLite's
// write lock blocks a libuv thread in its busy handler: twenty of them would take every thread,
// and the transaction holding the lock could not run its next statement.
const sqliteTurns = new WeakMap<object, Promise<unknown>>();

function inTurn<T>(key: object, work: () => Promise<T>): Promise<T> {
  const run = (sqliteTurns.get(key) ?? Promise.resolve()).then(work, work);
  sqliteTurns.set(
    key,
    run.catch(() => {}),
  );
  return run;
}

/**
 * One project's quota decisions, one at a time across every API node: SQLite's write lock taken at
 * BEGIN (queued in this process first), or a PostgreSQL transaction-scoped advisory lock on the project.
 */
async function serialized<T>(models: Models, project: string, work: (transaction: Transaction) => Promise<T>): Promise<T> {
  const sequelize = models.QuotaReservation.sequelize!;
  if (sequelize.getDialect() === 'sqlite') return inTurn(sequelize, () => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work));
  return sequelize.transaction(async (transaction) => {
    await sequelize.query("SELECT pg_advisory_xact_lock(hashtext('quota:' || :project))", {
      replacements: { project },
      type: QueryTypes.SELECT,
      transaction,
    });
    return work(transaction);
  });
}

/**
 * Takes the servers of a boot out of its project's quota atomically: in one serialized transaction,
 * what the project's servers hold plus the live reservations of other boots is checked against
 * its limits and a reservation for as many as fit is written. Concurrent boots never exceed a quota.
 */
export async function reserveInstances(
  d: QuotaDeps,
  project: string,
  quota: ProjectQuotas,
  flavor: { vcpus: number; memory_mb: number },
  min: number,
  max: number,
): Promise<Reservation> {
  const id = reservationId();
  // Unlimited everywhere (e.g. admin): nothing to count or hold.
  if (RESOURCES.every((r) => quota[r] < 0)) return { id, count: capped(d, min, max), release: async () => {} };
  const { QuotaReservation } = d.models;
  const count = await serialized(d.models, project, async (transaction) => {
    const now = new Date(d.clock.now());
    await QuotaReservation.destroy({ where: { project_id: project, expires_at: { [Op.lte]: now } }, transaction });
    const live = await readRows(QuotaReservation, { where: { project_id: project }, transaction });
    const used = await instanceUsage(d, project, { except: live.map((r) => r.id), transaction });
    for (const r of live) {
      used.instances += Number(r.instances);
      used.cores += Number(r.cores);
      used.ram += Number(r.ram);
    }
    const n = capped(d, min, instancesAllowed(quota, used, flavor, min, max));
    await QuotaReservation.create(
      {
        id,
        project_id: project,
        instances: n,
        cores: n * flavor.vcpus,
        ram: n * flavor.memory_mb,
        expires_at: new Date(d.clock.now() + d.reservationMs),
      },
      { transaction },
    );
    return n;
  });
  return {
    id,
    count,
    release: async () => {
      await QuotaReservation.destroy({ where: { id } });
    },
  };
}

/** The most metadata items a server of the project may carry (Nova's metadata_items quota; -1 is unlimited). */
export const metadataLimit = async (d: Pick<QuotaDeps, 'models' | 'quotas'>, project: string) => (await quotasOf(d, project)).metadata_items;
