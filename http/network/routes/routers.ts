import Router from '@koa/router';
import { Op, type Transaction } from 'sequelize';
import { randomUUID } from 'node:crypto';
import type { NeutronRouterRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, findPort, findSubnet } from '../access.js';
import { boolean, dict, projectId, resourceBody, text, uuid, type AttributeMap } from '../attributes.js';
import { badResourceRequest, notFound, policyRefused } from '../errors.js';
import type { FixedIpRequest } from '../ipam.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, reads, writes } from '../policy.js';
import { fixedIpsOf } from '../port-store.js';
import { authenticate, jsonBody, now, type NetworkServices, type NetworkState } from '../services.js';
import { routerView } from '../views/router.js';
import { fieldsOf, rowPayload } from './networks.js';
import { answered } from '../actors.js';

const readOnly = { post: false, put: false };
const gatewayInfo = (v: unknown, name: string) => (v === null ? null : dict(['network_id', 'enable_snat', 'external_fixed_ips'], [])(v, name));
const routerAttributes: AttributeMap = {
  id: readOnly,
  status: readOnly,
  name: { post: true, put: true, default: '', check: text(255) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
  admin_state_up: { post: true, put: true, default: true, check: boolean },
  external_gateway_info: { post: true, put: true, default: null, check: gatewayInfo },
};

const listSpec: ListSpec = {
  collection: 'routers',
  attributes: {
    id: { column: 'id', sort: true },
    name: { column: 'name', sort: true },
    description: { column: 'description', sort: true },
    project_id: { column: 'project_id', sort: true },
    status: { column: 'status', sort: true },
    admin_state_up: { column: 'admin_state_up', convert: asBoolean, sort: true },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

export const routerNotFound = (id: string) => notFound('RouterNotFound', `Router ${id} could not be found`);

async function findRouter(s: NetworkServices, auth: AuthContext, id: string, transaction?: Transaction) {
  const row = await readByPk(s.models.NeutronRouter, id, { transaction });
  if (!row || !reads(auth, row.project_id)) throw routerNotFound(id);
  return row;
}

async function writableRouter(s: NetworkServices, auth: AuthContext, id: string, action: string) {
  const row = await findRouter(s, auth, id);
  if (!writes(auth, row.project_id)) throw policyRefused(`rule:${action}`);
  return row;
}

const gatewayIpsOf = async (s: NetworkServices, rows: readonly NeutronRouterRow[]) =>
  fixedIpsOf(
    s,
    rows.flatMap((r) => (r.gateway_port_id ? [r.gateway_port_id] : [])),
  );

/** The gateway's network checked (external, visible) and the admin-only parts of the gateway refused to others. */
async function gatewayOf(s: NetworkServices, auth: AuthContext, info: Record<string, unknown> | null, action: string) {
  if (!info || info.network_id === undefined) return null;
  const networkId = uuid(info.network_id, 'external_gateway_info');
  const network = await findNetwork(s, auth, networkId);
  if (!dbBool(network.external)) throw badResourceRequest('router', `Network ${networkId} is not an external network`);
  const snat = info.enable_snat === undefined ? true : boolean(info.enable_snat, 'external_gateway_info');
  if (!auth.isAdmin && (info.enable_snat !== undefined || info.external_fixed_ips !== undefined)) {
    const parts = [
      ...(info.enable_snat !== undefined ? ['enable_snat'] : []),
      ...(info.external_fixed_ips !== undefined ? ['external_fixed_ips'] : []),
    ];
    throw policyRefused(`(rule:${action} and ${parts.map((p) => `rule:${action}:external_gateway_info:${p}`).join(' and ')})`);
  }
  const requests = Array.isArray(info.external_fixed_ips) ? (info.external_fixed_ips as FixedIpRequest[]) : undefined;
  return { network, snat, requests };
}

/** `/v2.0/routers` with `add_router_interface` and `remove_router_interface`: API and rows (no data plane yet). */
export function routerRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/routers' });

  const render = async (rows: readonly NeutronRouterRow[]) => {
    const ips = await gatewayIpsOf(s, rows);
    return rows.map((r) => routerView(r, r.gateway_port_id ? (ips.get(r.gateway_port_id) ?? []) : []));
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    const where = [...q.where];
    if (!auth.isAdmin) where.push({ project_id: auth.projectId ?? '' });
    if (q.marker) where.push(afterMarker(q, (await findRouter(s, auth, q.marker)) as unknown as Record<string, unknown>));
    let rows = await readRows(s.models.NeutronRouter, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit });
    if (q.pageReverse) rows = rows.reverse();
    const items = await render(rows);
    ctx.body = { routers: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'routers') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const [item] = await render([await findRouter(s, auth, ctx.params.id)]);
    ctx.body = { router: select(fieldsOf(ctx.query.fields), item) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'router', routerAttributes, true);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_router');
    mayCreate(auth, 'create_router', project);
    const gateway = await gatewayOf(s, auth, input.external_gateway_info as Record<string, unknown> | null, 'create_router');
    const at = now(s);
    const row: NeutronRouterRow = {
      id: randomUUID(),
      project_id: project,
      name: input.name as string,
      description: input.description as string,
      admin_state_up: input.admin_state_up as boolean,
      status: 'ACTIVE',
      gateway_network_id: null,
      gateway_port_id: null,
      enable_snat: true,
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    const stored = await answered(s.actors.router(row.id).create({ row: rowPayload(row), gateway: gatewayPayload(gateway) }));
    ctx.status = 201;
    ctx.body = { router: (await render([stored]))[0] };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'update_router');
    const input = resourceBody(await jsonBody(ctx), 'router', routerAttributes, false);
    const info = input.external_gateway_info as Record<string, unknown> | null | undefined;
    const gateway = info === undefined ? undefined : await gatewayOf(s, auth, info, 'update_router');
    const changes: Record<string, unknown> = {};
    for (const key of ['name', 'description', 'admin_state_up'] as const) if (key in input) changes[key] = input[key];
    const next = await answered(s.actors.router(row.id).update({ changes, ...(gateway === undefined ? {} : { gateway: gatewayPayload(gateway) }) }));
    ctx.body = { router: (await render([next]))[0] };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'delete_router');
    await answered(s.actors.router(row.id).delete({}));
    ctx.status = 204;
  });

  const interfaceBody = async (ctx: { request: unknown } & Parameters<typeof jsonBody>[0]) => {
    const body = await jsonBody(ctx);
    const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (o.subnet_id !== undefined && o.port_id !== undefined) throw badResourceRequest('router', 'Cannot specify both subnet-id and port-id');
    if (o.subnet_id === undefined && o.port_id === undefined) throw badResourceRequest('router', 'Either subnet_id or port_id must be specified');
    return o.subnet_id !== undefined ? { subnet_id: uuid(o.subnet_id, 'subnet_id') } : { port_id: uuid(o.port_id, 'port_id') };
  };

  router.put('/:id/add_router_interface', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'add_router_interface');
    const asked = await interfaceBody(ctx);
    // The subnet or port must be one the caller sees; the router's actor makes the change.
    if (asked.subnet_id) await findSubnet(s, auth, asked.subnet_id);
    else await findPort(s, auth, asked.port_id!);
    const result = await answered(s.actors.router(row.id).addInterface(asked));
    ctx.body = {
      id: row.id,
      tenant_id: row.project_id,
      project_id: row.project_id,
      port_id: result.port_id,
      network_id: result.network_id,
      subnet_id: result.subnet_id,
      subnet_ids: result.subnet_ids,
    };
  });

  router.put('/:id/remove_router_interface', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'remove_router_interface');
    const asked = await interfaceBody(ctx);
    const result = await answered(s.actors.router(row.id).removeInterface(asked));
    ctx.body = {
      id: row.id,
      tenant_id: row.project_id,
      project_id: row.project_id,
      port_id: result.port_id,
      network_id: result.network_id,
      subnet_id: result.subnet_id,
      subnet_ids: result.subnet_ids,
    };
  });

  return router;
}

/** A gateway as the router's actor takes it. */
const gatewayPayload = (gateway: Awaited<ReturnType<typeof gatewayOf>>) =>
  gateway
    ? {
        network_id: gateway.network.id,
        snat: gateway.snat,
        ...(gateway.requests ? { requests: gateway.requests as unknown as Array<Record<string, unknown>> } : {}),
      }
    : null;
