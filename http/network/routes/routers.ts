import Router from '@koa/router';
import { Op, type Transaction } from 'sequelize';
import { randomUUID } from 'node:crypto';
import type { NeutronRouterRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, findPort, findSubnet } from '../access.js';
import { boolean, dict, projectId, resourceBody, text, uuid, type AttributeMap } from '../attributes.js';
import { badResourceRequest, conflict, notFound, policyRefused } from '../errors.js';
import type { FixedIpRequest } from '../ipam.js';
import { overlaps, parseCidr } from '../ip.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, reads, writes } from '../policy.js';
import { deletePort, fixedIpsOf, insertServicePort } from '../port-store.js';
import { checkQuota } from '../quotas.js';
import { authenticate, jsonBody, now, serialized, type NetworkServices, type NetworkState } from '../services.js';
import { routerView } from '../views/router.js';
import { fieldsOf } from './networks.js';

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
      gateway_network_id: gateway?.network.id ?? null,
      gateway_port_id: null,
      enable_snat: gateway?.snat ?? true,
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    await serialized(s, [`project:${project}`, ...(gateway ? [`network:${gateway.network.id}`] : [])], async (transaction) => {
      await checkQuota(s, project, 'router', 1, transaction);
      if (gateway) {
        const { port } = await insertServicePort(s, transaction, {
          network_id: gateway.network.id,
          project_id: '',
          device_owner: 'network:router_gateway',
          device_id: row.id,
          requests: gateway.requests,
          at,
        });
        row.gateway_port_id = port.id;
      }
      await s.models.NeutronRouter.create(row, { transaction });
    });
    ctx.status = 201;
    ctx.body = { router: (await render([row]))[0] };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'update_router');
    const input = resourceBody(await jsonBody(ctx), 'router', routerAttributes, false);
    const info = input.external_gateway_info as Record<string, unknown> | null | undefined;
    const gateway = info === undefined ? undefined : await gatewayOf(s, auth, info, 'update_router');
    const next: NeutronRouterRow = {
      ...row,
      name: 'name' in input ? (input.name as string) : row.name,
      description: 'description' in input ? (input.description as string) : row.description,
      admin_state_up: 'admin_state_up' in input ? (input.admin_state_up as boolean) : row.admin_state_up,
      revision_number: Number(row.revision_number) + 1,
      updated_at: now(s),
    };
    const networks = [row.gateway_network_id, gateway?.network.id].filter((x): x is string => !!x);
    await serialized(
      s,
      networks.map((n) => `network:${n}`),
      async (transaction) => {
        if (gateway !== undefined && (gateway?.network.id ?? null) !== row.gateway_network_id) {
          if (row.gateway_port_id) {
            const held = await s.models.NeutronFloatingIp.count({ where: { router_id: row.id }, transaction });
            if (held)
              throw conflict(
                'RouterExternalGatewayInUseByFloatingIp',
                `Gateway cannot be updated for router ${row.id}, since a gateway to external network ${row.gateway_network_id} is required by one or more floating IPs.`,
              );
            await deletePort(s, row.gateway_port_id, transaction);
          }
          next.gateway_network_id = gateway?.network.id ?? null;
          next.gateway_port_id = gateway
            ? (
                await insertServicePort(s, transaction, {
                  network_id: gateway.network.id,
                  project_id: '',
                  device_owner: 'network:router_gateway',
                  device_id: row.id,
                  requests: gateway.requests,
                  at: next.updated_at,
                })
              ).port.id
            : null;
        }
        if (gateway) next.enable_snat = gateway.snat;
        await s.models.NeutronRouter.update(next, { where: { id: row.id }, transaction });
      },
    );
    ctx.body = { router: (await render([next]))[0] };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'delete_router');
    await serialized(s, row.gateway_network_id ? [`network:${row.gateway_network_id}`] : [], async (transaction) => {
      const interfaces = await s.models.NeutronPort.count({ where: { device_id: row.id, device_owner: 'network:router_interface' }, transaction });
      if (interfaces) throw conflict('RouterInUse', `Router ${row.id} still has ports`);
      if (await s.models.NeutronFloatingIp.count({ where: { router_id: row.id }, transaction }))
        throw conflict('RouterInUse', `Router ${row.id} still has ports`);
      if (row.gateway_port_id) await deletePort(s, row.gateway_port_id, transaction);
      await s.models.NeutronRouter.destroy({ where: { id: row.id }, transaction });
    });
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
    const result = await (async () => {
      if (asked.subnet_id) {
        const subnet = await findSubnet(s, auth, asked.subnet_id);
        if (!subnet.gateway_ip) throw badResourceRequest('router', `Subnet for router interface must have a gateway IP`);
        return serialized(s, [`network:${subnet.network_id}`], async (transaction) => {
          await refuseOverlap(s, row.id, subnet.cidr, subnet.id, transaction);
          const { port } = await insertServicePort(s, transaction, {
            network_id: subnet.network_id,
            project_id: row.project_id,
            device_owner: 'network:router_interface',
            device_id: row.id,
            requests: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip! }],
            at: now(s),
          });
          return { port_id: port.id, subnet_id: subnet.id, network_id: subnet.network_id };
        });
      }
      const port = await findPort(s, auth, asked.port_id!);
      if (port.device_id || port.device_owner)
        throw conflict(
          'PortInUse',
          `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`,
        );
      return serialized(s, [`network:${port.network_id}`], async (transaction) => {
        const ips = (await fixedIpsOf(s, [port.id], transaction)).get(port.id)!;
        if (!ips.length) throw badResourceRequest('router', `Router port must have at least one fixed IP`);
        for (const ip of ips) {
          const subnet = (await readByPk(s.models.NeutronSubnet, ip.subnet_id, { transaction }))!;
          await refuseOverlap(s, row.id, subnet.cidr, subnet.id, transaction);
        }
        await s.models.NeutronPort.update(
          { device_id: row.id, device_owner: 'network:router_interface', updated_at: now(s) },
          { where: { id: port.id }, transaction },
        );
        return { port_id: port.id, subnet_id: ips[0].subnet_id, network_id: port.network_id };
      });
    })();
    ctx.body = {
      id: row.id,
      tenant_id: row.project_id,
      project_id: row.project_id,
      port_id: result.port_id,
      network_id: result.network_id,
      subnet_id: result.subnet_id,
      subnet_ids: [result.subnet_id],
    };
  });

  router.put('/:id/remove_router_interface', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableRouter(s, auth, ctx.params.id, 'remove_router_interface');
    const asked = await interfaceBody(ctx);
    const ports = await readRows(s.models.NeutronPort, { where: { device_id: row.id, device_owner: 'network:router_interface' } });
    const ips = await fixedIpsOf(
      s,
      ports.map((p) => p.id),
    );
    const port = asked.port_id
      ? ports.find((p) => p.id === asked.port_id)
      : ports.find((p) => ips.get(p.id)!.some((f) => f.subnet_id === asked.subnet_id));
    if (!port && asked.port_id) throw notFound('RouterInterfaceNotFound', `Router ${row.id} does not have an interface with id ${asked.port_id}`);
    if (!port) throw notFound('RouterInterfaceNotFoundForSubnet', `Router ${row.id} has no interface on subnet ${asked.subnet_id}`);
    const subnets = ips.get(port.id)!.map((f) => f.subnet_id);
    await serialized(s, [`network:${port.network_id}`], async (transaction) => {
      const users = await readRows(s.models.NeutronFloatingIp, {
        attributes: ['port_id'],
        where: { router_id: row.id, port_id: { [Op.ne]: null } },
        transaction,
      });
      const held = users.length
        ? await readRows(s.models.NeutronIpAllocation, {
            where: { port_id: { [Op.in]: users.map((u) => u.port_id!) }, subnet_id: { [Op.in]: subnets } },
            transaction,
          })
        : [];
      if (held.length)
        throw conflict(
          'RouterInterfaceInUseByFloatingIP',
          `Router interface for subnet ${subnets[0]} on router ${row.id} cannot be deleted, as it is required by one or more floating IPs.`,
        );
      await deletePort(s, port.id, transaction);
    });
    ctx.body = {
      id: row.id,
      tenant_id: row.project_id,
      project_id: row.project_id,
      port_id: port.id,
      network_id: port.network_id,
      subnet_id: subnets[0],
      subnet_ids: subnets,
    };
  });

  return router;
}

/** A router joins no two subnets that overlap, nor one subnet twice. */
async function refuseOverlap(s: NetworkServices, routerId: string, cidr: string, subnetId: string, transaction: Transaction): Promise<void> {
  const ports = await readRows(s.models.NeutronPort, {
    attributes: ['id'],
    where: { device_id: routerId, device_owner: 'network:router_interface' },
    transaction,
  });
  const ips = await fixedIpsOf(
    s,
    ports.map((p) => p.id),
    transaction,
  );
  const subnets = [...ips.values()].flat().map((f) => f.subnet_id);
  if (subnets.includes(subnetId)) throw badResourceRequest('router', `Router already has a port on subnet ${subnetId}`);
  const rows = subnets.length ? await readRows(s.models.NeutronSubnet, { where: { id: { [Op.in]: subnets } }, transaction }) : [];
  const mine = parseCidr(cidr)!;
  const clash = rows.find((r) => overlaps(parseCidr(r.cidr)!, mine));
  if (clash) throw badResourceRequest('router', `Cidr ${cidr} of subnet ${subnetId} overlaps with cidr ${clash.cidr} of subnet ${clash.id}`);
}
