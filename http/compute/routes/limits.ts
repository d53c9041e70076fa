import Router from '@koa/router';
import { forbidden } from '../errors.js';
import { checkQuery, multiParams } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { lastOf } from '../nova-values.js';
import { instanceUsage, quotasOf } from '../../../services/compute/quotas.js';
import { serverGroupLimits } from '../../../services/compute/server-groups.js';
import type { ComputeServices, ComputeState } from '../services.js';

const limitsQuery = (v: Microversion) => ({
  type: 'object' as const,
  properties: { tenant_id: multiParams({ type: 'string' }) },
  additionalProperties: !v.atLeast('2.75'),
});

/**
 * GET /limits as Nova's view builds it, from the quota rows enforcement reads (services/compute/quotas): the network limits leave at 2.36, maxImageMeta at 2.39,
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
      project = String(lastOf(ctx.query.tenant_id));
    }
    const [quota, used, groups] = await Promise.all([quotasOf(s, project), instanceUsage(s, project), serverGroupLimits(s, project)]);
    const network = !v.atLeast('2.36');
    ctx.body = {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: quota.instances,
          maxTotalCores: quota.cores,
          maxTotalRAMSize: quota.ram,
          maxServerMeta: quota.metadata_items,
          ...(v.atLeast('2.39') ? {} : { maxImageMeta: 128 }),
          maxTotalKeypairs: quota.key_pairs,
          maxServerGroups: groups.maxServerGroups,
          maxServerGroupMembers: groups.maxServerGroupMembers,
          ...(v.atLeast('2.57') ? {} : { maxPersonality: quota.injected_files, maxPersonalitySize: quota.injected_file_content_bytes }),
          ...(network ? { maxSecurityGroups: 10, maxSecurityGroupRules: 20, maxTotalFloatingIps: 10 } : {}),
          totalInstancesUsed: used.instances,
          totalCoresUsed: used.cores,
          totalRAMUsed: used.ram,
          totalServerGroupsUsed: groups.totalServerGroupsUsed,
          ...(network ? { totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 } : {}),
        },
      },
    };
  });
  return router;
}
