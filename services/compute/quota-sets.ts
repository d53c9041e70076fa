import { Op, type Transaction } from 'sequelize';
import { readRows } from '../../models/typed.js';
import { badRequest } from './errors.js';
import {
  classLimits,
  instanceUsage,
  quotaScopesOf,
  QUOTA_RESOURCES,
  readsTogether,
  reservedUsage,
  serverGroupsUsed,
  serialized,
  type QuotaDeps,
  type QuotaLimits,
  type QuotaResource,
} from './quotas.js';

// Managing quotas as Nova's os-quota-sets and os-quota-class-sets do: limits per project, per user within a
// project and per quota class, the checks a new limit must pass, and the detailed view's usage. What a limit
// means at admission lives in quotas.ts; this module only reads and writes the rows it reads.

/** One resource in the detailed view. */
export interface QuotaUsage {
  readonly limit: number;
  readonly in_use: number;
  readonly reserved: number;
}

// Nova keeps these per project even when a user is named (its PER_PROJECT_QUOTAS).
const PER_PROJECT: readonly QuotaResource[] = ['fixed_ips', 'floating_ips'];

const isResource = (key: string): key is QuotaResource => (QUOTA_RESOURCES as readonly string[]).includes(key);

/** The limits that hold for a project, or for one user of it when given. */
export async function quotaSet(
  d: Pick<QuotaDeps, 'models' | 'quotas'>,
  project: string,
  user?: string,
  transaction?: Transaction,
): Promise<QuotaLimits> {
  const scopes = await quotaScopesOf(d, project, user, transaction);
  return scopes.user ?? scopes.project;
}

/**
 * What counts against each limit, as Nova's quota-sets API counts it: servers (and, as `reserved`, the boots whose
 * servers are not recorded yet) by project or user. Key pairs and server group members are always 0 there (Nova
 * leaves the per-user resources out of its settable checks and this view); server groups as serverGroupsUsed counts them.
 */
export async function quotaUsage(
  d: Pick<QuotaDeps, 'models' | 'quotas' | 'clock'>,
  project: string,
  user?: string,
  transaction?: Transaction,
): Promise<Record<QuotaResource, QuotaUsage>> {
  const [limits, used, reserved, groups] = await readsTogether(transaction, [
    () => quotaSet(d, project, user, transaction),
    () => instanceUsage(d, project, { user, transaction }),
    () => reservedUsage(d, project, user, transaction),
    () => serverGroupsUsed(d, project, user, transaction),
  ] as const);
  const inUse: Partial<Record<QuotaResource, number>> = { ...used, server_groups: groups };
  const held: Partial<Record<QuotaResource, number>> = reserved;
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: inUse[r] ?? 0, reserved: held[r] ?? 0 }])) as Record<
    QuotaResource,
    QuotaUsage
  >;
}

const unlimited = (n: number) => (n === -1 ? Infinity : n);

/**
 * The range a new limit must fall in unless forced (Nova's get_settable_quotas): a project's limit no lower than
 * what is used and reserved, nor than its users' own limits together; a user's no lower than what they use, and
 * no higher than the project's limit less the other users' own limits. Read in the lock's transaction: on its own
 * connection, as the boots waiting for the lock may hold every other one of the pool.
 */
async function settable(
  d: Pick<QuotaDeps, 'models' | 'quotas' | 'clock'>,
  project: string,
  user: string | undefined,
  transaction: Transaction,
): Promise<Record<QuotaResource, { minimum: number; maximum: number }>> {
  const usage = await quotaUsage(d, project, user, transaction);
  const projectLimits = user === undefined ? undefined : await quotaSet(d, project, undefined, transaction);
  const userRows = await readRows(d.models.UserQuota, {
    where: { project_id: project, ...(user === undefined ? {} : { user_id: { [Op.ne]: user } }) },
    transaction,
  });
  const usersTotal = (r: QuotaResource) =>
    userRows.filter((row) => row.resource === r && row.hard_limit >= 0).reduce((sum, row) => sum + row.hard_limit, 0);
  return Object.fromEntries(
    QUOTA_RESOURCES.map((r) => {
      const used = usage[r].in_use + usage[r].reserved;
      if (!projectLimits) return [r, { minimum: Math.max(used, usersTotal(r)), maximum: -1 }];
      const cap = projectLimits[r];
      return [r, { minimum: used, maximum: cap === -1 ? -1 : Math.max(cap - usersTotal(r), 0) }];
    }),
  ) as Record<QuotaResource, { minimum: number; maximum: number }>;
}

/**
 * Sets limits of a project, or of one user in it, as an admin's PUT does: every value checked first (unless
 * `force`), then all written. Under the project's quota lock, so no boot is admitted between the check and the write.
 */
export async function updateQuotaSet(
  d: Pick<QuotaDeps, 'models' | 'quotas' | 'clock'>,
  project: string,
  user: string | undefined,
  values: Readonly<Record<string, number>>,
  force: boolean,
): Promise<QuotaLimits> {
  const wanted = Object.entries(values).filter((entry): entry is [QuotaResource, number] => isResource(entry[0]));
  await serialized(d.models, project, async (transaction) => {
    if (!force) {
      const range = await settable(d, project, user, transaction);
      for (const [resource, limit] of wanted) {
        const { minimum, maximum } = range[resource];
        if (unlimited(limit) < unlimited(minimum)) {
          throw badRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${minimum}.`);
        }
        if (unlimited(limit) > unlimited(maximum)) throw badRequest(`Quota limit ${limit} for ${resource} must be less than or equal to ${maximum}.`);
      }
    }
    const forUser = wanted.filter(([r]) => user !== undefined && !PER_PROJECT.includes(r));
    const forProject = wanted.filter(([r]) => user === undefined || PER_PROJECT.includes(r));
    if (forProject.length) {
      await d.models.Quota.bulkCreate(
        forProject.map(([resource, hard_limit]) => ({ project_id: project, resource, hard_limit })),
        { updateOnDuplicate: ['hard_limit'], transaction },
      );
    }
    if (forUser.length) {
      await d.models.UserQuota.bulkCreate(
        forUser.map(([resource, hard_limit]) => ({ project_id: project, user_id: user!, resource, hard_limit })),
        { updateOnDuplicate: ['hard_limit'], transaction },
      );
    }
  });
  return quotaSet(d, project, user);
}

/** Back to the defaults: a user's own limits, or a project's together with all its users' (Nova's DELETE). */
export async function revertQuotaSet(d: Pick<QuotaDeps, 'models'>, project: string, user?: string): Promise<void> {
  await serialized(d.models, project, async (transaction) => {
    if (user !== undefined) {
      await d.models.UserQuota.destroy({ where: { project_id: project, user_id: user }, transaction });
      return;
    }
    await d.models.UserQuota.destroy({ where: { project_id: project }, transaction });
    await d.models.Quota.destroy({ where: { project_id: project }, transaction });
  });
}

/** Sets a quota class's limits (the `default` class's are every project's defaults); unknown resources are ignored. */
export async function updateQuotaClass(
  d: Pick<QuotaDeps, 'models' | 'quotas'>,
  className: string,
  values: Readonly<Record<string, number>>,
): Promise<QuotaLimits> {
  const rows = Object.entries(values)
    .filter(([resource]) => isResource(resource))
    .map(([resource, hard_limit]) => ({ class_name: className, resource, hard_limit }));
  if (rows.length) await d.models.QuotaClass.bulkCreate(rows, { updateOnDuplicate: ['hard_limit'] });
  return classLimits(d, className);
}
