import Router from '@koa/router';
import { Op } from 'sequelize';
import { checkBody, checkQuery } from '../json-schema.js';
import { badRequest } from '../errors.js';
import * as schemas from '../schemas/misc.js';
import { authorize, requestBody, type ComputeServices, type ComputeState } from '../services.js';

// os-server-external-events (admin; the network and volume services call it) and
// os-assisted-volume-snapshots (admin; the volume service calls it), as Nova 26 answers them.

interface ClientEvent {
  server_uuid: string;
  name: string;
  status?: string;
  tag?: string;
  code?: number;
}

export function externalEventRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  router.post('/os-server-external-events', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(schemas.externalEvents(ctx.state.version), body);
    // The empty target of Nova's check: whoever holds the role, whichever project the servers are in.
    authorize(ctx, 'os_compute_api:os-server-external-events:create', 'admin');
    const events = (body as { events: ClientEvent[] }).events;
    // Nova looks the servers up by UUID alone, deleted ones included.
    const rows = await s.models.Instance.findAll({
      where: { uuid: { [Op.in]: [...new Set(events.map((e) => e.server_uuid))] } },
      attributes: ['uuid', 'host'],
    });
    const hostOf = new Map(rows.map((r) => r.get({ plain: true })).map((r) => [r.uuid, r.host]));
    let status = 200;
    const answer = events.map((e): ClientEvent => {
      if (!hostOf.has(e.server_uuid)) return ((status = 207), { ...e, status: 'failed', code: 404 });
      if (schemas.TAG_REQUIRED.includes(e.name) && e.tag === undefined) return ((status = 207), { ...e, status: 'failed', code: 400 });
      // Accepted for a server a host holds; Stratus has no network or volume service whose events a guest waits for.
      if (hostOf.get(e.server_uuid)) return { ...e, status: 'completed', code: 200 };
      return ((status = 207), { ...e, status: 'failed', code: 422 });
    });
    ctx.status = status;
    ctx.body = { events: answer };
  });

  // There are no volumes yet, so no server has the volume a snapshot is asked for (Nova's VolumeBDMNotFound, a 400).
  const noVolume = (volumeId: unknown) => badRequest(`No volume Block Device Mapping with id ${String(volumeId)}.`);

  router.post('/os-assisted-volume-snapshots', async (ctx) => {
    const body = await requestBody(ctx);
    checkBody(schemas.snapshotCreate, body);
    authorize(ctx, 'os_compute_api:os-assisted-volume-snapshots:create', 'admin');
    throw noVolume((body as { snapshot: { volume_id: string } }).snapshot.volume_id);
  });

  router.delete('/os-assisted-volume-snapshots/:id', (ctx) => {
    checkQuery(schemas.snapshotDeleteQuery(ctx.state.version), ctx.query);
    authorize(ctx, 'os_compute_api:os-assisted-volume-snapshots:delete', 'admin');
    const raw = ctx.query.delete_info;
    const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    // Nova's KeyError and json ValueError texts, as str(e) gives them.
    if (text === undefined) throw badRequest("'delete_info'");
    let info: unknown;
    try {
      info = JSON.parse(text);
    } catch {
      throw badRequest('Expecting value: line 1 column 1 (char 0)');
    }
    if (typeof info !== 'object' || info === null || !('volume_id' in info)) throw badRequest("'volume_id'");
    throw noVolume(info.volume_id);
  });

  return router;
}
