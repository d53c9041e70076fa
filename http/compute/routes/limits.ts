import Router from '@koa/router';
import { fn, col } from 'sequelize';
import type { QuotaRow } from '../../../models/index.js';
import { forbidden } from '../errors.js';
import { checkQuery, multiParams } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import type { ComputeServices, ComputeState } from '../services.js';

/** A project's limits: its own quota rows over the configured defaults (-1 is unlimited). */
export async function quotasOf(s: ComputeServices, project: string) {
  const own = new Map(((await s.models.Quota.findAll({ where: { project_id: project }, raw: true })) as unknown as QuotaRow[]).map((q) => [q.resource, q.hard_limit]));
  return {
    instances: own.get('instances') ?? s.quotas.instances, cores: own.get('cores') ?? s.quotas.cores, ram: own.get('ram') ?? s.quotas.ramMb,
    key_pairs: own.get('key_pairs') ?? s.quotas.keyPairs,
  };
}

/** What a project's servers hold: every server not deleted counts, whatever its state, as Nova counts. */
async function usageOf(s: ComputeServices, project: string) {
  const [row] = await s.models.Instance.findAll({
    where: { project_id: project, deleted_at: null },
    attributes: [[fn('COUNT', col('uuid')), 'instances'], [fn('SUM', col('vcpus')), 'cores'], [fn('SUM', col('memory_mb')), 'ram']],
    raw: true,
  }) as unknown as Array<{ instances: number | string; cores: number | string | null; ram: number | string | null }>;
  return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

const limitsQuery = (v: Microversion) => ({ type: 'object' as const, properties: { tenant_id: multiParams({ type: 'string' }) }, additionalProperties: !v.atLeast('2.75') });

/**
 * GET /limits as Nova's view builds it: the network limits leave at 2.36, maxImageMeta at 2.39,
 * the personality limits at 2.57. Key pairs are limited per user, so no use of them is shown.
 */
export function limitRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/limits', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(limitsQuery(v), ctx.query);
    // Anyone with a project-scoped token reads their own limits; another project's take an admin.
    let project = ctx.state.project;
    if (ctx.query.tenant_id !== undefined) {
      if (!ctx.state.auth.isAdmin) throw forbidden('os_compute_api:limits:other_project');
      const asked = ctx.query.tenant_id;
      project = String(Array.isArray(asked) ? asked[asked.length - 1] : asked);
    }
    const [quota, used] = await Promise.all([quotasOf(s, project), usageOf(s, project)]);
    const network = !v.atLeast('2.36');
    ctx.body = {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: quota.instances, maxTotalCores: quota.cores, maxTotalRAMSize: quota.ram,
          maxServerMeta: 128, ...(v.atLeast('2.39') ? {} : { maxImageMeta: 128 }),
          maxTotalKeypairs: quota.key_pairs, maxServerGroups: 10, maxServerGroupMembers: 10,
          ...(v.atLeast('2.57') ? {} : { maxPersonality: 5, maxPersonalitySize: 10240 }),
          ...(network ? { maxSecurityGroups: 10, maxSecurityGroupRules: 20, maxTotalFloatingIps: 10 } : {}),
          totalInstancesUsed: used.instances, totalCoresUsed: used.cores, totalRAMUsed: used.ram, totalServerGroupsUsed: 0,
          ...(network ? { totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 } : {}),
        },
      },
    };
  });
  return router;
}
