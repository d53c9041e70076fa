import Router from '@koa/router';
import type { InstanceRow } from '../../../models/index.js';
import { collectionLinks } from '../pagination.js';
import { bootServers } from '../../../services/compute/boot.js';
import { deleteServer, updateServer } from '../../../services/compute/servers.js';
import { listServers } from '../server-list.js';
import { findServer, hostsByName } from '../server-lookup.js';
import { parseBootRequest, parseServerUpdate } from '../server-request.js';
import { authorize, requestBody, links, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { detailColumns, hostStatusOf, serverDetail, serverSummary, type ViewContext } from '../views/server.js';
import { serverGroupsView } from '../views/server-groups.js';
import { networkView } from '../views/server-network.js';

/** Servers: create, list, detail, show, update and delete, on the tables for reads and on the actors for changes. */
export function serverRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();

  /** The view context for these rows; admins from 2.16 see their hosts' status, so those are read once. */
  const viewOf = async (ctx: ComputeContext, rows: InstanceRow[], shape: ViewContext['shape']): Promise<ViewContext> => {
    const { version, auth } = ctx.state;
    const base = {
      version,
      isAdmin: auth.isAdmin,
      shape,
      ...(await serverGroupsView(s, version, shape, rows)),
      ...(await networkView(s, rows)),
    };
    if (!auth.isAdmin || !version.atLeast('2.16')) return base;
    return {
      ...base,
      hostStatus: hostStatusOf(
        await hostsByName(
          s,
          rows.map((r) => r.host),
        ),
        s.clock.now(),
        s.serviceDownMs,
      ),
    };
  };
  // Nova's next link, when the page is as full as it may be.
  const nextLink = (ctx: ComputeContext, path: string, rows: InstanceRow[]) => {
    const links = collectionLinks(
      s,
      ctx,
      path,
      rows.map((r) => r.uuid),
    );
    return links.length ? { servers_links: links } : {};
  };

  router.get('/servers', async (ctx) => {
    const rows = await listServers(s, ctx, false, ['uuid', 'display_name']);
    ctx.body = { servers: rows.map((i) => serverSummary(s, i)), ...nextLink(ctx, 'servers', rows) };
  });

  router.get('/servers/detail', async (ctx) => {
    const columns = detailColumns({ version: ctx.state.version, isAdmin: ctx.state.auth.isAdmin });
    const rows = await listServers(s, ctx, true, columns);
    const view = await viewOf(ctx, rows, 'detail');
    ctx.body = { servers: rows.map((i) => serverDetail(s, i, view)), ...nextLink(ctx, 'servers/detail', rows) };
  });

  router.get('/servers/:id', async (ctx) => {
    const row = await findServer(s, ctx, ctx.params.id);
    authorize(ctx, 'os_compute_api:servers:show', 'reader');
    ctx.body = { server: serverDetail(s, row, await viewOf(ctx, [row], 'show')) };
  });

  router.post('/servers', async (ctx) => {
    const request = parseBootRequest(await requestBody(ctx), ctx.state.version);
    const booted = await bootServers(s, ctx.state, request);
    ctx.status = 202;
    if (request.returnReservationId) {
      ctx.body = { reservation_id: booted.reservationId };
      return;
    }
    const id = booted.ids[0];
    ctx.set('Location', `${s.publicUrl()}/v2.1/servers/${id}`);
    ctx.body = {
      server: {
        id,
        links: links(s, `servers/${id}`),
        'OS-DCF:diskConfig': request.autoDiskConfig ? 'AUTO' : 'MANUAL',
        security_groups: request.securityGroupsEcho,
        adminPass: booted.adminPass,
      },
    };
  });

  router.put('/servers/:id', async (ctx) => {
    const changes = parseServerUpdate(await requestBody(ctx), ctx.state.version);
    const row = await updateServer(s, ctx.state, ctx.params.id, changes);
    ctx.body = { server: serverDetail(s, row, await viewOf(ctx, [row], 'update')) };
  });

  router.delete('/servers/:id', async (ctx) => {
    await deleteServer(s, ctx.state, ctx.params.id);
    ctx.status = 204;
  });

  return router;
}
