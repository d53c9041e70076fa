import Router from '@koa/router';
import { badRequest } from '../errors.js';
import { checkBody } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { quotaClassUpdate } from '../schemas/quota-sets.js';
import { authorize, requestBody, type ComputeServices, type ComputeState } from '../services.js';
import { classLimits } from '../../../services/compute/quotas.js';
import { updateQuotaClass } from '../../../services/compute/quota-sets.js';
import { quotaView, QUOTA_SET_NETWORK, QUOTA_SET_PERSONALITY, QUOTA_SET_SERVER_GROUPS } from '../views/quota-set.js';

const rule = (name: string) => `os_compute_api:os-quota-class-sets:${name}`;

/** What a quota class set shows: no server group limits before 2.50, no network ones from then, no personality files from 2.57. */
const hidden = (v: Microversion) =>
  v.atLeast('2.50') ? [...QUOTA_SET_NETWORK, ...(v.atLeast('2.57') ? QUOTA_SET_PERSONALITY : [])] : QUOTA_SET_SERVER_GROUPS;

const MAX_CLASS_NAME = 255;

/** os-quota-class-sets: an admin reads and sets a class's limits; the `default` class's are every project's defaults. */
export function quotaClassSetRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.get('/os-quota-class-sets/:id', async (ctx) => {
    authorize(ctx, rule('show'), 'admin');
    ctx.body = { quota_class_set: quotaView(await classLimits(s, ctx.params.id), hidden(ctx.state.version), ctx.params.id) };
  });

  router.put('/os-quota-class-sets/:id', async (ctx) => {
    const v = ctx.state.version;
    const body = await requestBody(ctx);
    checkBody(quotaClassUpdate(v), body ?? null);
    authorize(ctx, rule('update'), 'admin');
    const name = ctx.params.id;
    const length = [...name].length;
    if (length > MAX_CLASS_NAME) throw badRequest(`quota_class_name has ${length} characters, more than ${MAX_CLASS_NAME}.`);
    const asked = (body as { quota_class_set: Record<string, unknown> }).quota_class_set;
    const values = Object.fromEntries(Object.entries(asked).map(([key, value]) => [key, Number.parseInt(String(value), 10)]));
    // Without the id, as Nova answers an update.
    ctx.body = { quota_class_set: quotaView(await updateQuotaClass(s, name, values), hidden(v)) };
  });

  return router;
}
