import Router from '@koa/router';
import type { HostRow } from '../../../models/index.js';
import { computeActors } from '../../../services/compute/actors.js';
import { changeComputeService, type ServiceChange } from '../../../services/compute/service-state.js';
import { badRequest, NovaFault, notFound } from '../errors.js';
import { checkBody, checkQuery } from '../json-schema.js';
import { isUuidLike, lastOf, truthy } from '../nova-values.js';
import { serviceListQuery, serviceUpdate253, serviceUpdateByAction } from '../schemas/services.js';
import { computeRecord, idInPath, serviceById, serviceRecords, type ServiceRecord } from '../service-records.js';
import { authorize, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { serviceView } from '../views/service.js';

const rule = (name: string) => `os_compute_api:os-services:${name}`;

const notUpdatable = (binary: string) => badRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);

/** os-services: list, the pre-2.53 actions by host and binary, the 2.53 update by UUID, and delete. */
export function serviceRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  const apply = (ctx: ComputeContext, host: string, change: ServiceChange): Promise<HostRow> =>
    changeComputeService(s, host, change, ctx.state.correlationId);

  router.get('/os-services', async (ctx) => {
    const v = ctx.state.version;
    const q = ctx.query as Record<string, string | string[] | undefined>;
    checkQuery(serviceListQuery(v), q);
    authorize(ctx, rule('list'), 'admin');
    const host = lastOf(q.host);
    const binary = lastOf(q.binary);
    let services = await serviceRecords(s);
    if (host) services = services.filter((r) => r.host === host);
    if (binary) services = services.filter((r) => r.binary === binary);
    ctx.body = { services: services.map((r) => serviceView(r, v)) };
  });

  router.put('/os-services/:id', async (ctx) => {
    if (ctx.state.version.atLeast('2.53')) await updateById(ctx);
    else await updateByAction(ctx);
  });

  /** Before 2.53: PUT /os-services/{enable,disable,disable-log-reason,force-down} with the host and binary in the body. */
  async function updateByAction(ctx: ComputeContext) {
    const v = ctx.state.version;
    const body = (await requestBody(ctx)) as Record<string, unknown>;
    checkBody(serviceUpdateByAction(v), body ?? null);
    authorize(ctx, rule('update'), 'admin');
    const action = ctx.params.id;
    const host = body.host as string;
    const binary = body.binary as string;
    let change: ServiceChange;
    let answer: Record<string, unknown>;
    if (action === 'enable') {
      change = { disabled: false };
      answer = { host, binary, status: 'enabled' };
    } else if (action === 'disable') {
      change = { disabled: true, reason: null };
      answer = { host, binary, status: 'disabled' };
    } else if (action === 'disable-log-reason') {
      if (!('disabled_reason' in body)) throw badRequest('Missing disabled reason field');
      change = { disabled: true, reason: body.disabled_reason as string };
      answer = { host, binary, status: 'disabled', disabled_reason: body.disabled_reason };
    } else if (action === 'force-down' && v.atLeast('2.11')) {
      if (!('forced_down' in body)) throw badRequest('Missing forced_down field');
      change = { forcedDown: truthy(body.forced_down) };
      answer = { host, binary, forced_down: change.forcedDown };
    } else {
      throw notFound('Unknown action');
    }
    if (binary !== 'nova-compute') throw notUpdatable(binary);
    await apply(ctx, host, change);
    ctx.body = { service: answer };
  }

  /** From 2.53: PUT /os-services/{service_uuid} with status, disabled_reason and forced_down. */
  async function updateById(ctx: ComputeContext) {
    const body = (await requestBody(ctx)) as Record<string, unknown>;
    checkBody(serviceUpdate253, body ?? null);
    const id = ctx.params.id;
    if (!isUuidLike(id)) throw badRequest(`Invalid uuid ${id}`);
    authorize(ctx, rule('update'), 'admin');
    const service = serviceById(await serviceRecords(s), id);
    if (!service) throw notFound(`Service ${id} could not be found.`);
    if (service.binary !== 'nova-compute') throw notUpdatable(service.binary);
    const change: ServiceChange = {};
    if (body.status === 'enabled') {
      if (body.disabled_reason) throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
      change.disabled = false;
    } else if (body.status === 'disabled') {
      change.disabled = true;
      change.reason = (body.disabled_reason as string | undefined) ?? null;
    }
    if ('forced_down' in body) change.forcedDown = truthy(body.forced_down);
    if (change.disabled === undefined && change.forcedDown === undefined) {
      throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    }
    const row = await apply(ctx, service.host, change);
    ctx.body = { service: serviceView(computeRecord(row, s.clock.now(), s.serviceDownMs, s.nodeGone), ctx.state.version, true) };
  }

  router.delete('/os-services/:id', async (ctx) => {
    const v = ctx.state.version;
    authorize(ctx, rule('delete'), 'admin');
    const id = ctx.params.id;
    const key = idInPath(v, id, () => badRequest('Invalid input received: id must be an integer'));
    const service: ServiceRecord | undefined = serviceById(await serviceRecords(s), key);
    if (!service) throw notFound(`Service ${id} not found.`);
    try {
      const actors = computeActors(s.actors);
      const to = service.binary === 'nova-compute' ? actors.host(service.host) : actors.scheduler(service.host);
      await to.deregister({}, { correlationId: ctx.state.correlationId });
    } catch (error) {
      const e = error as { code?: string; details?: { hosting?: number } };
      if (e.code === 'rejected' && e.details?.hosting) {
        throw new NovaFault(409, 'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      }
      if (e.code === 'rejected') throw notFound(`Service ${id} not found.`);
      throw error;
    }
    ctx.status = 204;
  });

  return router;
}
