import Router from '@koa/router';
import { Op } from 'sequelize';
import { readRows } from '../../../models/typed.js';
import { integer, type AttributeMap, resourceBody } from '../attributes.js';
import { policyRefused } from '../errors.js';
import { DEFAULT_QUOTAS, QUOTA_RESOURCES, limitsOf, usageOf } from '../quotas.js';
import { authenticate, jsonBody, serialized, type NetworkServices, type NetworkState } from '../services.js';

const quotaAttributes: AttributeMap = Object.fromEntries(
  QUOTA_RESOURCES.map((r) => [r, { post: false, put: true, check: integer(-1, 2 ** 31 - 1) }]),
);

/** `/v2.0/quotas`: a project reads its own, an admin any and sets them; `details` adds what is used. */
export function quotaRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/quotas' });
  const readable = async (ctx: { get(h: string): string; method: string; path: string }, project: string) => {
    const auth = await authenticate(s, ctx);
    if (project !== auth.projectId && !auth.isAdmin) throw policyRefused('rule:get_quota');
    return auth;
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.isAdmin) throw policyRefused('rule:get_quota');
    const rows = await readRows(s.models.NeutronQuota, { order: [['project_id', 'ASC']], limit: 10_000 });
    const projects = [...new Set(rows.map((r) => r.project_id))];
    ctx.body = {
      quotas: await Promise.all(projects.map(async (p) => ({ ...(await limitsOf(s, p)), project_id: p, tenant_id: p }))),
    };
  });

  router.get('/project', async (ctx) => {
    const auth = await authenticate(s, ctx);
    ctx.body = { project: { project_id: auth.projectId } };
  });

  router.get('/:project/default', async (ctx) => {
    await readable(ctx, ctx.params.project);
    ctx.body = { quota: { ...DEFAULT_QUOTAS } };
  });

  router.get('/:project/details', async (ctx) => {
    await readable(ctx, ctx.params.project);
    const limits = await limitsOf(s, ctx.params.project);
    const used = await Promise.all(QUOTA_RESOURCES.map((r) => usageOf(s, ctx.params.project, r)));
    ctx.body = { quota: Object.fromEntries(QUOTA_RESOURCES.map((r, i) => [r, { limit: limits[r], used: used[i], reserved: 0 }])) };
  });

  router.get('/:project', async (ctx) => {
    await readable(ctx, ctx.params.project);
    ctx.body = { quota: await limitsOf(s, ctx.params.project) };
  });

  router.put('/:project', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.isAdmin) throw policyRefused('rule:update_quota');
    const input = resourceBody(await jsonBody(ctx), 'quota', quotaAttributes, false);
    const project = ctx.params.project;
    await serialized(s, [`project:${project}`], async (transaction) => {
      for (const [resource, limit] of Object.entries(input))
        await s.models.NeutronQuota.upsert({ project_id: project, resource, limit: limit as number }, { transaction });
    });
    ctx.body = { quota: await limitsOf(s, project) };
  });

  router.delete('/:project', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.isAdmin) throw policyRefused('rule:delete_quota');
    await s.models.NeutronQuota.destroy({ where: { project_id: ctx.params.project, resource: { [Op.in]: QUOTA_RESOURCES } } });
    ctx.status = 204;
  });

  return router;
}
