import Router from '@koa/router';
import { fn, col } from 'sequelize';
import type { QuotaRow } from '../../../models/index.js';
import { authorize, type ComputeServices, type ComputeState } from '../services.js';

/** A project's limits: its own quota rows over the configured defaults (-1 is unlimited). */
export async function quotasOf(s: ComputeServices, project: string) {
  const own = new Map(((await s.models.Quota.findAll({ where: { project_id: project }, raw: true })) as unknown as QuotaRow[]).map((q) => [q.resource, q.hard_limit]));
  return { instances: own.get('instances') ?? s.quotas.instances, cores: own.get('cores') ?? s.quotas.cores, ram: own.get('ram') ?? s.quotas.ramMb };
}

async function usageOf(s: ComputeServices, project: string) {
  const [row] = await s.models.Instance.findAll({
    where: { project_id: project, deleted_at: null },
    attributes: [[fn('COUNT', col('uuid')), 'instances'], [fn('SUM', col('vcpus')), 'cores'], [fn('SUM', col('memory_mb')), 'ram']],
    raw: true,
  }) as unknown as Array<{ instances: number | string; cores: number | string | null; ram: number | string | null }>;
  return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

/** GET /limits as Nova shows it; the network, image-metadata and personality limits leave at 2.36, 2.39 and 2.57, as there. */
export function limitRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/limits', async (ctx) => {
    authorize(ctx, 'os_compute_api:limits', 'reader');
    const v = ctx.state.version;
    const admin = ctx.state.auth.isAdmin;
    const project = admin && typeof ctx.query.tenant_id === 'string' ? ctx.query.tenant_id : ctx.state.project;
    const [quota, used] = await Promise.all([quotasOf(s, project), usageOf(s, project)]);
    ctx.body = {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: quota.instances, maxTotalCores: quota.cores, maxTotalRAMSize: quota.ram,
          maxServerMeta: 128, maxTotalKeypairs: 100, maxServerGroups: 10, maxServerGroupMembers: 10,
          ...(v.atLeast('2.39') ? {} : { maxImageMeta: 128 }),
          ...(v.atLeast('2.57') ? {} : { maxPersonality: 5, maxPersonalitySize: 10240 }),
          ...(v.atLeast('2.36') ? {} : { maxSecurityGroups: 10, maxSecurityGroupRules: 20, maxTotalFloatingIps: 10, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 }),
          totalInstancesUsed: used.instances, totalCoresUsed: used.cores, totalRAMUsed: used.ram, totalServerGroupsUsed: 0,
        },
      },
    };
  });
  return router;
}
