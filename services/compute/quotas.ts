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

// Nova's defaults for the limits that have no configuration key here (nova.conf [quota]); the network
// resources nova-network used are kept, unlimited, only so that the older microversions show them.
const DEFAULT_METADATA_ITEMS = 128;
const DEFAULT_INJECTED_FILES = 5;
const DEFAULT_INJECTED_FILE_CONTENT_BYTES = 10240;
const DEFAULT_INJECTED_FILE_PATH_BYTES = 255;
const DEFAULT_SERVER_GROUPS = 10;
const DEFAULT_SERVER_GROUP_MEMBERS = 10;

/** Every resource Nova's quota engine knows, in its order (the order quota sets list them in). */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'metadata_items',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'key_pairs',
  'server_groups',
  'server_group_members',
  'fixed_ips',
  'floating_ips',
  'security_groups',
  'security_group_rules',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** A limit for every resource; -1 is unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

/** The class every project takes its defaults from (Nova's `default` quota class). */
export const DEFAULT_QUOTA_CLASS = 'default';

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
  readonly server_groups: number;
  readonly server_group_members: number;
}

/** The limits configuration gives, before any quota class row. */
export function configuredLimits(d: Pick<QuotaDeps, 'quotas'>): QuotaLimits {
  return {
    instances: d.quotas.instances,
    cores: d.quotas.cores,
    ram: d.quotas.ramMb,
    metadata_items: DEFAULT_METADATA_ITEMS,
    injected_files: DEFAULT_INJECTED_FILES,
    injected_file_content_bytes: DEFAULT_INJECTED_FILE_CONTENT_BYTES,
    injected_file_path_bytes: DEFAULT_INJECTED_FILE_PATH_BYTES,
    key_pairs: d.quotas.keyPairs,
    server_groups: DEFAULT_SERVER_GROUPS,
    server_group_members: DEFAULT_SERVER_GROUP_MEMBERS,
    fixed_ips: -1,
    floating_ips: -1,
    security_groups: -1,
    security_group_rules: -1,
  };
}

const over = (base: QuotaLimits, rows: ReadonlyArray<{ resource: string; hard_limit: number }>): QuotaLimits => {
  const limits = { ...base };
  for (const row of rows) if ((QUOTA_RESOURCES as readonly string[]).includes(row.resource)) limits[row.resource as QuotaResource] = row.hard_limit;
  return limits;
};

/** A quota class's limits: its rows over the configured ones (Nova's get_class_quotas). */
export async function classLimits(d: Pick<QuotaDeps, 'models' | 'quotas'>, className: string, transaction?: Transaction): Promise<QuotaLimits> {
  return over(configuredLimits(d), await readRows(d.models.QuotaClass, { where: { class_name: className }, transaction }));
}

/** What every project has unless it has limits of its own: the `default` class. */
export const defaultLimits = (d: Pick<QuotaDeps, 'models' | 'quotas'>, transaction?: Transaction) => classLimits(d, DEFAULT_QUOTA_CLASS, transaction);

/**
 * Reads that may go out together: at once on the pool, one after another inside a transaction, whose one
 * connection takes a query at a time (node-postgres deprecates queuing them).
 */
export async function readsTogether<T extends readonly unknown[]>(
  transaction: Transaction | undefined,
  reads: { [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  if (!transaction) return (await Promise.all(reads.map((read) => read()))) as unknown as T;
  const results: unknown[] = [];
  for (const read of reads) results.push(await read());
  return results as unknown as T;
}

/** Which limits hold for a project, and for a user of it who has limits of their own (user rows over project rows). */
export interface QuotaScopes {
  readonly project: QuotaLimits;
  /** Only when the user has rows of their own: else the project's limits are theirs. */
  readonly user?: QuotaLimits;
}

export async function quotaScopesOf(
  d: Pick<QuotaDeps, 'models' | 'quotas'>,
  project: string,
  user?: string,
  transaction?: Transaction,
): Promise<QuotaScopes> {
  const [defaults, own, users] = await readsTogether(transaction, [
    () => defaultLimits(d, transaction),
    () => readRows(d.models.Quota, { where: { project_id: project }, transaction }),
    async () => (user === undefined ? [] : readRows(d.models.UserQuota, { where: { project_id: project, user_id: user }, transaction })),
  ] as const);
  const projectLimits = over(defaults, own);
  return users.length ? { project: projectLimits, user: over(projectLimits, users) } : { project: projectLimits };
}

/** The limits that hold for a project, or for one of its users when given. */
export async function limitsOf(d: Pick<QuotaDeps, 'models' | 'quotas'>, project: string, user?: string): Promise<QuotaLimits> {
  const scopes = await quotaScopesOf(d, project, user);
  return scopes.user ?? scopes.project;
}

/** The fields enforcement reads, of a project's (or a user's) limits. */
export const enforced = (l: QuotaLimits): ProjectQuotas => ({
  instances: l.instances,
  cores: l.cores,
  ram: l.ram,
  key_pairs: l.key_pairs,
  metadata_items: l.metadata_items,
  injected_files: l.injected_files,
  injected_file_content_bytes: l.injected_file_content_bytes,
  injected_file_path_bytes: l.injected_file_path_bytes,
  server_groups: l.server_groups,
  server_group_members: l.server_group_members,
});

/** The limits enforcement applies to a project, or to one of its users (Nova holds a user to their own limits too). */
export const quotasOf = async (d: Pick<QuotaDeps, 'models' | 'quotas'>, project: string, user?: string): Promise<ProjectQuotas> =>
  enforced(await limitsOf(d, project, user));

/** The server groups a project holds (Nova counts them by project, and by user for a user's limits): GET /limits, the quota detail, quota updates. */
export const serverGroupsUsed = async (d: Pick<QuotaDeps, 'models'>, project: string, user?: string, transaction?: Transaction): Promise<number> =>
  d.models.ServerGroup.count({ where: { project_id: project, ...(user ? { user_id: user } : {}) }, transaction });

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
  options: { except?: string[]; user?: string; transaction?: Transaction } = {},
): Promise<InstanceUsage> {
  const where = {
    project_id: project,
    deleted_at: null,
    ...(options.user === undefined ? {} : { user_id: options.user }),
    ...(options.except?.length ? { reservation_id: { [Op.notIn]: options.except } } : {}),
  };
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
export async function serialized<T>(models: Models, project: string, work: (transaction: Transaction) => Promise<T>): Promise<T> {
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

/** What a project's (or one user's) servers hold, with the live reservations of boots counted instead of their servers. */
async function heldWithReservations(
  d: Pick<QuotaDeps, 'models'>,
  project: string,
  live: ReadonlyArray<{ id: string; user_id: string | null; instances: number; cores: number; ram: number }>,
  transaction: Transaction,
  user?: string,
): Promise<InstanceUsage> {
  const used = await instanceUsage(d, project, { except: live.map((r) => r.id), user, transaction });
  for (const r of live) {
    if (user !== undefined && r.user_id !== user) continue;
    used.instances += Number(r.instances);
    used.cores += Number(r.cores);
    used.ram += Number(r.ram);
  }
  return used;
}

/** What the live reservations of a project (or of one user in it) hold: the detailed quota view's `reserved`. */
export async function reservedUsage(
  d: Pick<QuotaDeps, 'models' | 'clock'>,
  project: string,
  user?: string,
  transaction?: Transaction,
): Promise<InstanceUsage> {
  const rows = await readRows(d.models.QuotaReservation, {
    where: { project_id: project, expires_at: { [Op.gt]: new Date(d.clock.now()) }, ...(user === undefined ? {} : { user_id: user }) },
    transaction,
  });
  return rows.reduce(
    (sum, r) => ({ instances: sum.instances + Number(r.instances), cores: sum.cores + Number(r.cores), ram: sum.ram + Number(r.ram) }),
    {
      instances: 0,
      cores: 0,
      ram: 0,
    },
  );
}

/**
 * Takes the servers of a boot out of its project's quota atomically: in one serialized transaction,
 * what the project's servers hold plus the live reservations of other boots is checked against
 * its limits, read again there, and a reservation for as many as fit is written. Concurrent boots never
 * exceed a quota, nor a limit lowered meanwhile. A user with limits of their own is held to those too,
 * counted over their servers, as Nova does. `quota` and `user.quota`, the limits read when the boot began,
 * only spare a boot that was unlimited everywhere the lock (such a boot is not held to a limit set meanwhile).
 */
export async function reserveInstances(
  d: QuotaDeps,
  project: string,
  quota: ProjectQuotas,
  flavor: { vcpus: number; memory_mb: number },
  min: number,
  max: number,
  user?: { id: string; quota?: ProjectQuotas },
): Promise<Reservation> {
  const id = reservationId();
  const userQuota = user?.quota;
  // Unlimited everywhere (e.g. admin): nothing to count or hold.
  if (RESOURCES.every((r) => quota[r] < 0 && (!userQuota || userQuota[r] < 0))) return { id, count: capped(d, min, max), release: async () => {} };
  const { QuotaReservation } = d.models;
  const count = await serialized(d.models, project, async (transaction) => {
    const now = new Date(d.clock.now());
    await QuotaReservation.destroy({ where: { project_id: project, expires_at: { [Op.lte]: now } }, transaction });
    const live = await readRows(QuotaReservation, { where: { project_id: project }, transaction });
    // The limits as they stand under the lock: one lowered since the boot began (os-quota-sets writes under it too) holds.
    const scopes = await quotaScopesOf(d, project, user?.id, transaction);
    const ownQuota = scopes.user && enforced(scopes.user);
    // The project's limits first, then the user's own, as Nova checks them: the fault names the scope that failed.
    const projectAllowed = instancesAllowed(enforced(scopes.project), await heldWithReservations(d, project, live, transaction), flavor, min, max);
    const allowed = ownQuota
      ? instancesAllowed(ownQuota, await heldWithReservations(d, project, live, transaction, user!.id), flavor, min, projectAllowed)
      : projectAllowed;
    const n = capped(d, min, allowed);
    await QuotaReservation.create(
      {
        id,
        project_id: project,
        user_id: user?.id ?? null,
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
