import Router from '@koa/router';
import { Op, type Transaction } from 'sequelize';
import { randomUUID } from 'node:crypto';
import type { NeutronFloatingIpRow, NeutronPortRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, findPort } from '../access.js';
import { ipAddress, projectId, resourceBody, text, uuid, type AttributeMap } from '../attributes.js';
import { badResourceRequest, conflict, notFound, policyRefused } from '../errors.js';
import { afterMarker, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, reads, writes } from '../policy.js';
import { deletePort, fixedIpsOf, insertServicePort } from '../port-store.js';
import { checkQuota } from '../quotas.js';
import { authenticate, jsonBody, now, serialized, type NetworkServices, type NetworkState } from '../services.js';
import { floatingIpView } from '../views/router.js';
import { fieldsOf } from './networks.js';

const readOnly = { post: false, put: false };
const nullable = (check: (v: unknown, n: string) => unknown) => (v: unknown, n: string) => (v === null ? null : check(v, n));
const floatingIpAttributes: AttributeMap = {
  id: readOnly,
  status: readOnly,
  router_id: readOnly,
  floating_network_id: { post: true, put: false, check: uuid },
  floating_ip_address: { post: true, put: false, default: null, check: nullable(ipAddress) },
  subnet_id: { post: true, put: false, default: null, check: nullable(uuid) },
  port_id: { post: true, put: true, default: null, check: nullable(uuid) },
  fixed_ip_address: { post: true, put: true, default: null, check: nullable(ipAddress) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
};

const listSpec: ListSpec = {
  collection: 'floatingips',
  attributes: {
    id: { column: 'id', sort: true },
    floating_ip_address: { column: 'floating_ip_address', sort: true },
    floating_network_id: { column: 'floating_network_id', sort: true },
    router_id: { column: 'router_id', sort: true },
    port_id: { column: 'port_id', sort: true },
    fixed_ip_address: { column: 'fixed_ip_address', sort: true },
    status: { column: 'status', sort: true },
    description: { column: 'description' },
    project_id: { column: 'project_id', sort: true },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

const fipNotFound = (id: string) => notFound('FloatingIPNotFound', `Floating IP ${id} could not be found`);

async function findFloatingIp(s: NetworkServices, auth: AuthContext, id: string) {
  const row = await readByPk(s.models.NeutronFloatingIp, id);
  if (!row || !reads(auth, row.project_id)) throw fipNotFound(id);
  return row;
}

/**
 * Where a floating IP maps to a port: the port's (IPv4) fixed address, reachable from the floating network through a
 * router with a gateway there and an interface on the address's subnet, and mapped by no other floating IP.
 */
async function association(
  s: NetworkServices,
  port: NeutronPortRow,
  asked: string | null,
  floatingNetwork: string,
  self: string,
  transaction: Transaction,
): Promise<{ fixed_ip_address: string; router_id: string }> {
  const ips = ((await fixedIpsOf(s, [port.id], transaction)).get(port.id) ?? []).filter((f) => !f.ip_address.includes(':'));
  const fixed = asked === null ? ips[0] : ips.find((f) => f.ip_address === asked);
  if (!fixed && asked !== null) throw badResourceRequest('floatingip', `Port ${port.id} does not have fixed ip ${asked}`);
  if (!fixed) throw badResourceRequest('floatingip', `Port ${port.id} does not have any IPv4 address`);
  const routers = await readRows(s.models.NeutronRouter, { attributes: ['id'], where: { gateway_network_id: floatingNetwork }, transaction });
  const interfaces = routers.length
    ? await readRows(s.models.NeutronPort, {
        attributes: ['id', 'device_id'],
        where: { device_owner: 'network:router_interface', device_id: { [Op.in]: routers.map((r) => r.id) } },
        transaction,
      })
    : [];
  const ifaceIps = await fixedIpsOf(
    s,
    interfaces.map((i) => i.id),
    transaction,
  );
  const via = interfaces.find((i) => ifaceIps.get(i.id)!.some((f) => f.subnet_id === fixed.subnet_id));
  if (!via) {
    throw notFound(
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${floatingNetwork} is not reachable from subnet ${fixed.subnet_id}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`,
    );
  }
  const taken = await readRows(s.models.NeutronFloatingIp, {
    attributes: ['id', 'floating_ip_address'],
    where: { port_id: port.id, fixed_ip_address: fixed.ip_address, id: { [Op.ne]: self } },
    transaction,
  });
  if (taken.length) {
    throw conflict(
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${self} with port ${port.id} using fixed IP ${fixed.ip_address}, as that fixed IP already has a floating IP on external network ${floatingNetwork}.`,
    );
  }
  return { fixed_ip_address: fixed.ip_address, router_id: via.device_id };
}

/** `/v2.0/floatingips`: addresses from an external network, mapped to a port's fixed address (rows only, no NAT yet). */
export function floatingIpRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/floatingips' });

  const portFor = async (auth: AuthContext, id: string, project: string) => {
    const port = await findPort(s, auth, id);
    if (port.project_id !== project && !auth.isAdmin) throw notFound('PortNotFound', `Port ${id} could not be found.`);
    return port;
  };

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    const where = [...q.where];
    if (!auth.isAdmin) where.push({ project_id: auth.projectId ?? '' });
    if (q.marker) where.push(afterMarker(q, (await findFloatingIp(s, auth, q.marker)) as unknown as Record<string, unknown>));
    let rows = await readRows(s.models.NeutronFloatingIp, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit });
    if (q.pageReverse) rows = rows.reverse();
    const items = rows.map(floatingIpView);
    ctx.body = { floatingips: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'floatingips') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    ctx.body = { floatingip: select(fieldsOf(ctx.query.fields), floatingIpView(await findFloatingIp(s, auth, ctx.params.id))) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'floatingip', floatingIpAttributes, true);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_floatingip');
    mayCreate(auth, 'create_floatingip', project);
    if (input.floating_ip_address !== null && !auth.isAdmin)
      throw policyRefused('(rule:create_floatingip and rule:create_floatingip:floating_ip_address)');
    const network = await findNetwork(s, auth, input.floating_network_id as string);
    if (!dbBool(network.external)) throw badResourceRequest('floatingip', `Network ${network.id} is not a valid external network`);
    const port = input.port_id !== null ? await portFor(auth, input.port_id as string, project) : undefined;
    const id = randomUUID();
    const at = now(s);
    const requests =
      input.floating_ip_address !== null
        ? [{ ip_address: input.floating_ip_address as string, ...(input.subnet_id !== null ? { subnet_id: input.subnet_id as string } : {}) }]
        : input.subnet_id !== null
          ? [{ subnet_id: input.subnet_id as string }]
          : undefined;
    const row = await serialized(s, [`network:${network.id}`, `project:${project}`], async (transaction) => {
      await checkQuota(s, project, 'floatingip', 1, transaction);
      const v4 = (await readRows(s.models.NeutronSubnet, { attributes: ['id'], where: { network_id: network.id, ip_version: 4 }, transaction })).map(
        (x) => x.id,
      );
      if (!v4.length) throw badResourceRequest('floatingip', `Network ${network.id} does not contain any IPv4 subnet`);
      const { port: floatingPort, fixed } = await insertServicePort(s, transaction, {
        network_id: network.id,
        project_id: '',
        device_owner: 'network:floatingip',
        device_id: id,
        requests: requests ?? [{ subnet_id: v4[0] }],
        at,
      });
      const mapped = port ? await association(s, port, input.fixed_ip_address as string | null, network.id, id, transaction) : undefined;
      const created: NeutronFloatingIpRow = {
        id,
        project_id: project,
        floating_network_id: network.id,
        floating_ip_address: fixed[0].ip_address,
        floating_port_id: floatingPort.id,
        port_id: port?.id ?? null,
        fixed_ip_address: mapped?.fixed_ip_address ?? null,
        router_id: mapped?.router_id ?? null,
        status: mapped ? 'ACTIVE' : 'DOWN',
        description: input.description as string,
        revision_number: 1,
        created_at: at,
        updated_at: at,
      };
      await s.models.NeutronFloatingIp.create(created, { transaction });
      return created;
    });
    ctx.status = 201;
    ctx.body = { floatingip: floatingIpView(row) };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await findFloatingIp(s, auth, ctx.params.id);
    if (!writes(auth, row.project_id)) throw policyRefused('rule:update_floatingip');
    const input = resourceBody(await jsonBody(ctx), 'floatingip', floatingIpAttributes, false);
    const port = 'port_id' in input && input.port_id !== null ? await portFor(auth, input.port_id as string, row.project_id) : undefined;
    const next = await serialized(s, [`network:${row.floating_network_id}`], async (transaction) => {
      const updated: NeutronFloatingIpRow = {
        ...row,
        description: 'description' in input ? (input.description as string) : row.description,
        revision_number: Number(row.revision_number) + 1,
        updated_at: now(s),
      };
      if ('port_id' in input) {
        const mapped = port
          ? await association(s, port, (input.fixed_ip_address as string | null | undefined) ?? null, row.floating_network_id, row.id, transaction)
          : undefined;
        Object.assign(updated, {
          port_id: port?.id ?? null,
          fixed_ip_address: mapped?.fixed_ip_address ?? null,
          router_id: mapped?.router_id ?? null,
          status: mapped ? 'ACTIVE' : 'DOWN',
        });
      }
      await s.models.NeutronFloatingIp.update(updated, { where: { id: row.id }, transaction });
      return updated;
    });
    ctx.body = { floatingip: floatingIpView(next) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await findFloatingIp(s, auth, ctx.params.id);
    if (!writes(auth, row.project_id)) throw policyRefused('rule:delete_floatingip');
    await serialized(s, [`network:${row.floating_network_id}`], async (transaction) => {
      await deletePort(s, row.floating_port_id, transaction);
      await s.models.NeutronFloatingIp.destroy({ where: { id: row.id }, transaction });
    });
    ctx.status = 204;
  });

  return router;
}
