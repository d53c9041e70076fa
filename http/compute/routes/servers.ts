import { randomBytes, randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import type { ImageRow, InstanceRow } from '../../../models/index.js';
import { ref } from '../../../runtime/ref.js';
import { visible } from '../../images/access.js';
import { badRequest, notFound, NovaFault } from '../errors.js';
import { parseBootRequest } from '../server-request.js';
import { authorize, bodyOf, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { detailColumns, serverDetail, serverSummary } from '../views/server.js';
import { vmStatesFor } from '../views/status.js';
import { findFlavor } from './flavors.js';
import { readInstances } from '../instance-reads.js';
import { keyForBoot } from '../keypair-store.js';

const instanceNotFound = (id: string) => notFound(`Instance ${id} could not be found.`);
const password = () => randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
const reservationId = () => `r-${randomBytes(6).toString('hex').slice(0, 8)}`;

/** The server if the caller's project owns it (admins: any), not deleted; else Nova's 404. */
async function findServer(s: ComputeServices, ctx: ComputeContext, id: string): Promise<InstanceRow> {
  const row = await s.models.Instance.findOne({ where: { uuid: id, deleted_at: null }, raw: true }) as InstanceRow | null;
  if (!row || (!ctx.state.auth.isAdmin && row.project_id !== ctx.state.project)) throw instanceNotFound(id);
  return row;
}

/** The image a server boots from, if the project may use it and it is active; else Nova's 400. */
async function bootImage(s: ComputeServices, ctx: ComputeContext, id: string): Promise<ImageRow> {
  const row = await s.models.Image.findOne({ where: { id }, raw: true }) as ImageRow | null;
  // Membership matters only for a shared image of another project; most boots need one read.
  const shared = row?.visibility === 'shared' && row.owner !== ctx.state.project && !ctx.state.auth.isAdmin;
  const mine = shared ? (await s.images.membersOf(id)).find((m) => m.member === ctx.state.project) : undefined;
  if (!row || !visible(ctx.state.auth, row, mine?.status)) throw badRequest('Can not find requested image');
  if (row.status !== 'active') throw badRequest(`Image ${id} is not active.`);
  return row;
}

/** The conditions a list asks for, as Nova reads its query string. */
function listWhere(ctx: ComputeContext): { where: Record<string | symbol, unknown>; nameRegex?: RegExp } {
  const q = ctx.query as Record<string, string | undefined>;
  const admin = ctx.state.auth.isAdmin;
  const allTenants = admin && q.all_tenants !== undefined && !['0', 'false', 'False'].includes(q.all_tenants);
  const where: Record<string | symbol, unknown> = {};
  if (!allTenants) where.project_id = admin && (q.project_id ?? q.tenant_id) ? (q.project_id ?? q.tenant_id) : ctx.state.project;
  else if (q.project_id ?? q.tenant_id) where.project_id = q.project_id ?? q.tenant_id;
  const changesSince = q['changes-since'];
  // changes-since lists deleted servers too, as Nova's does; otherwise only admins asking for deleted see them.
  if (changesSince) {
    const at = new Date(changesSince);
    if (Number.isNaN(at.getTime())) throw badRequest(`Invalid input for query parameters changes-since. Value: ${changesSince}. '${changesSince}' is not a 'date-time'`);
    where.updated_at = { [Op.gte]: at };
  } else if (!(admin && q.deleted && ['true', '1', 'True'].includes(q.deleted))) {
    where.deleted_at = null;
  } else {
    where.deleted_at = { [Op.ne]: null };
  }
  if (q.status) {
    const states = vmStatesFor(q.status);
    if (!states.length && q.status.toUpperCase() !== 'DELETED') throw badRequest(`Invalid status value`);
    where.vm_state = { [Op.in]: q.status.toUpperCase() === 'DELETED' ? ['deleted'] : states };
  }
  if (q.flavor) where.flavor_id = q.flavor;
  if (q.image) where.image_ref = q.image.split('/').pop();
  if (admin && q.host) where.host = q.host;
  if (q.reservation_id) where.reservation_id = q.reservation_id;
  let nameRegex: RegExp | undefined;
  if (q.name) {
    try { nameRegex = new RegExp(q.name); } catch { throw badRequest(`Invalid name filter [${q.name}]`); }
  }
  return { where, nameRegex };
}

/** Servers: create, list, detail, show and delete, on the tables for reads and on the actors for changes. */
export function serverRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  // The summary list reads two columns; the detail list every one.
  const list = async (ctx: ComputeContext, attributes?: string[]) => {
    const { where, nameRegex } = listWhere(ctx);
    let rows = await readInstances(s.models.Instance, {
      where: where as WhereOptions, order: [['created_at', 'DESC'], ['uuid', 'DESC']], ...(attributes ? { attributes } : {}),
    });
    if (nameRegex) rows = rows.filter((r) => nameRegex.test(r.display_name));
    const q = ctx.query as Record<string, string | undefined>;
    let start = 0;
    if (q.marker) {
      start = rows.findIndex((r) => r.uuid === q.marker) + 1;
      if (start === 0) throw badRequest(`marker [${q.marker}] not found`);
    }
    const limit = q.limit === undefined ? 1000 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`Invalid input for query parameters limit. Value: ${q.limit}.`);
    const page = rows.slice(start, start + limit);
    const more = start + limit < rows.length && page.length > 0;
    return { page, next: more ? page[page.length - 1].uuid : undefined };
  };
  const nextLink = (ctx: ComputeContext, path: string, marker: string | undefined) => {
    if (!marker) return {};
    const query = new URLSearchParams({ ...(ctx.query as Record<string, string>), marker });
    return { servers_links: [{ rel: 'next', href: `${s.publicUrl()}/v2.1/${path}?${query}` }] };
  };

  router.get('/servers', async (ctx) => {
    authorize(ctx, 'os_compute_api:servers:index', 'reader');
    const { page, next } = await list(ctx, ['uuid', 'display_name']);
    ctx.body = { servers: page.map((i) => serverSummary(s, i)), ...nextLink(ctx, 'servers', next) };
  });

  router.get('/servers/detail', async (ctx) => {
    authorize(ctx, 'os_compute_api:servers:detail', 'reader');
    const view = { version: ctx.state.version, isAdmin: ctx.state.auth.isAdmin };
    const { page, next } = await list(ctx, detailColumns(view));
    ctx.body = { servers: page.map((i) => serverDetail(s, i, view)), ...nextLink(ctx, 'servers/detail', next) };
  });

  router.get('/servers/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:servers:show', 'reader');
    const row = await findServer(s, ctx, ctx.params.id);
    const server = serverDetail(s, row, { version: ctx.state.version, isAdmin: ctx.state.auth.isAdmin });
    // From 2.71 a single server (show, update, rebuild; not the lists) names its server groups: none yet.
    ctx.body = { server: ctx.state.version.atLeast('2.71') ? { ...server, server_groups: [] } : server };
  });

  router.post('/servers', async (ctx) => {
    authorize(ctx, 'os_compute_api:servers:create', 'member');
    const request = parseBootRequest(await bodyOf(ctx, 'server'), ctx.state.version);
    const flavor = await findFlavor(s, request.flavorRef, { isAdmin: ctx.state.auth.isAdmin, projectId: ctx.state.project });
    if (!flavor) throw badRequest('Invalid flavorRef provided.');
    const image = await bootImage(s, ctx, request.imageRef);
    if (image.min_ram && flavor.memory_mb < image.min_ram) throw badRequest("Flavor's memory is too small for requested image.");
    if (image.min_disk && flavor.root_gb && flavor.root_gb < image.min_disk) throw badRequest("Flavor's disk is too small for requested image.");
    if (request.availabilityZone) {
      const zone = await s.models.Host.findOne({ where: { availability_zone: request.availabilityZone } });
      if (!zone) throw badRequest('The requested availability zone is not available');
    }
    const { key_name } = await keyForBoot(s, ctx, request.keyName);
    const reservation = reservationId();
    const ids: string[] = [];
    for (let index = 0; index < request.maxCount; index++) {
      const uuid = randomUUID();
      // Answered only once the instance's row and its build message are committed together.
      await s.actors.ask(ref('instance', uuid), 'create', {
        project_id: ctx.state.project, user_id: ctx.state.auth.userId,
        display_name: request.maxCount > 1 ? `${request.name}-${index + 1}` : request.name,
        display_description: request.description, flavor_id: flavor.id, flavor_name: flavor.name,
        memory_mb: flavor.memory_mb, vcpus: flavor.vcpus, root_gb: flavor.root_gb, ephemeral_gb: flavor.ephemeral_gb,
        image_ref: image.id, key_name, availability_zone: request.availabilityZone,
        reservation_id: reservation, launch_index: index, scheduler: s.scheduler, request_id: ctx.state.correlationId,
      }, { correlationId: ctx.state.correlationId, commitOnly: true });
      ids.push(uuid);
    }
    ctx.status = 202;
    if (request.returnReservationId) {
      ctx.body = { reservation_id: reservation };
      return;
    }
    ctx.set('Location', `${s.publicUrl()}/v2.1/servers/${ids[0]}`);
    ctx.body = {
      server: {
        id: ids[0], links: serverSummary(s, { uuid: ids[0], display_name: request.name } as InstanceRow).links,
        'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }], adminPass: password(),
      },
    };
  });

  router.delete('/servers/:id', async (ctx) => {
    authorize(ctx, 'os_compute_api:servers:delete', 'member');
    const row = await findServer(s, ctx, ctx.params.id);
    if (row.locked && !ctx.state.auth.isAdmin) throw new NovaFault(409, `Instance ${row.uuid} is locked`);
    try {
      await s.actors.ask(ref('instance', row.uuid), 'delete', {
        request_id: ctx.state.correlationId, user_id: ctx.state.auth.userId, project_id: ctx.state.project,
      }, { correlationId: ctx.state.correlationId });
    } catch (error) {
      if ((error as { code?: string }).code === 'rejected') throw instanceNotFound(row.uuid);
      throw error;
    }
    ctx.status = 204;
  });

  return router;
}
