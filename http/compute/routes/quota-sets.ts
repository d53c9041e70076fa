import Router from '@koa/router';
import { badRequest, forbidden } from '../errors.js';
import { checkBody, checkQuery } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { lenientBool } from '../nova-values.js';
import { quotaSetQuery, quotaSetUpdate } from '../schemas/quota-sets.js';
import { authorize, permits, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { defaultLimits } from '../../../services/compute/quotas.js';
import { quotaSet, quotaUsage, revertQuotaSet, updateQuotaSet } from '../../../services/compute/quota-sets.js';
import { quotaView, QUOTA_SET_NETWORK, QUOTA_SET_PERSONALITY } from '../views/quota-set.js';

const rule = (name: string) => `os_compute_api:os-quota-sets:${name}`;

/** What a quota set shows at a version: the network resources leave at 2.36, personality files at 2.57. */
const hidden = (v: Microversion) => [...(v.atLeast('2.36') ? QUOTA_SET_NETWORK : []), ...(v.atLeast('2.57') ? QUOTA_SET_PERSONALITY : [])];

const MAX_USER_ID = 255;

/**
 * The `user_id` asked for: the first given (Nova's parse_qs(...)[0]) or, for the detail, the last (webob's GET.get).
 * One longer than the column holds is refused here rather than by the database.
 */
function userOf(ctx: ComputeContext, which: 'first' | 'last'): string | undefined {
  const raw = ctx.query.user_id;
  if (raw === undefined) return undefined;
  const user = !Array.isArray(raw) ? raw : which === 'first' ? raw[0] : raw[raw.length - 1];
  const length = [...user].length;
  if (length > MAX_USER_ID) throw badRequest(`user_id has ${length} characters, more than ${MAX_USER_ID}.`);
  return user;
}

/**
 * os-quota-sets as Nova 26 serves it: a project's (or a user's) limits, the defaults, the detail with usage, an
 * admin's update (checked against what is in use unless forced) and revert to the defaults.
 */
export function quotaSetRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  // Admins, or anyone with a role in the project itself (Nova's PROJECT_READER_OR_ADMIN on the project in the path).
  const readable = (ctx: ComputeContext, name: string) => {
    if (!ctx.state.auth.isAdmin && !(ctx.params.id === ctx.state.project && permits(ctx, 'reader'))) throw forbidden(rule(name));
  };
  // Nova asks Keystone whether the project exists before reading or writing its quotas.
  const known = async (project: string) => {
    if (!(await s.identity.projectExists(project))) throw badRequest(`Project ID ${project} is not a valid project.`);
  };

  router.get('/os-quota-sets/:id', async (ctx) => {
    checkQuery(quotaSetQuery(ctx.state.version), ctx.query);
    readable(ctx, 'show');
    await known(ctx.params.id);
    const limits = await quotaSet(s, ctx.params.id, userOf(ctx, 'first'));
    ctx.body = { quota_set: quotaView(limits, hidden(ctx.state.version), ctx.params.id) };
  });

  router.get('/os-quota-sets/:id/detail', async (ctx) => {
    checkQuery(quotaSetQuery(ctx.state.version), ctx.query);
    readable(ctx, 'detail');
    await known(ctx.params.id);
    const usage = await quotaUsage(s, ctx.params.id, userOf(ctx, 'last'));
    ctx.body = { quota_set: quotaView(usage, hidden(ctx.state.version), ctx.params.id) };
  });

  router.get('/os-quota-sets/:id/defaults', async (ctx) => {
    // Anyone may read the defaults (Nova's RULE_ANY); every query parameter is ignored.
    await known(ctx.params.id);
    ctx.body = { quota_set: quotaView(await defaultLimits(s), hidden(ctx.state.version), ctx.params.id) };
  });

  router.put('/os-quota-sets/:id', async (ctx) => {
    const v = ctx.state.version;
    const body = await requestBody(ctx);
    checkBody(quotaSetUpdate(v), body ?? null);
    checkQuery(quotaSetQuery(v), ctx.query);
    authorize(ctx, rule('update'), 'admin');
    await known(ctx.params.id);
    const asked = (body as { quota_set: Record<string, unknown> }).quota_set;
    // nova-network's networks quota is still in the older schemas, only to be refused here.
    if ('networks' in asked) throw badRequest('The networks quota has been removed');
    const force = asked.force === true || (typeof asked.force === 'string' && lenientBool(asked.force));
    const values = Object.fromEntries(
      Object.entries(asked)
        .filter(([key]) => key !== 'force')
        .map(([key, value]) => [key, Number.parseInt(String(value), 10)]),
    );
    const limits = await updateQuotaSet(s, ctx.params.id, userOf(ctx, 'first'), values, force);
    // Without the id, as Nova answers an update.
    ctx.body = { quota_set: quotaView(limits, hidden(v)) };
  });

  router.delete('/os-quota-sets/:id', async (ctx) => {
    checkQuery(quotaSetQuery(ctx.state.version), ctx.query);
    authorize(ctx, rule('delete'), 'admin');
    await revertQuotaSet(s, ctx.params.id, userOf(ctx, 'first'));
    // Empty, as Nova answers; the status after, as null means 204 to Koa.
    ctx.body = null;
    ctx.status = 202;
  });

  return router;
}
