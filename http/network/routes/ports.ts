import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { Op, literal, type Transaction, type WhereOptions } from 'sequelize';
import type { NeutronNetworkRow, NeutronPortRow } from '../../../models/index.js';
import { readByPk, readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, findPort, visiblePorts } from '../access.js';
import { boolean, dict, ipAddress, list, macAddress, oneOf, projectId, resourceBody, text, uuid, type AttributeMap } from '../attributes.js';
import { badRequest, conflict, invalidAttribute, NeutronError, policyRefused } from '../errors.js';
import { allocate, macTaken, uniqueMac, type FixedIp, type FixedIpRequest } from '../ipam.js';
import { parseCidr, parseIp } from '../ip.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, writes } from '../policy.js';
import { checkQuota } from '../quotas.js';
import { portSecurityGroups } from '../security-groups.js';
import { authenticate, json, jsonBody, now, serialized, type NetworkServices, type NetworkState } from '../services.js';
import { portView } from '../views/port.js';
import { PortBatcher } from '../port-batch.js';
import { renderedPorts } from '../port-list.js';
import { deletePort, fixedIpsOf, subnetsOf } from '../port-store.js';
import { fieldsOf } from './networks.js';

const UNSET = Symbol('unset');
/** Ports the service owns: routers' and floating IPs' (a user removes them through their router or floating IP). */
const SERVICE_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip'];
const readOnly = { post: false, put: false };
const fixedIp = (v: unknown, name: string): FixedIpRequest => {
  const o = dict(['subnet_id', 'ip_address'], [])(v, name);
  if (o.subnet_id === undefined && o.ip_address === undefined)
    throw invalidAttribute(name, `Exact one of subnet_id or ip_address is required in '${JSON.stringify(v)}'`);
  return {
    ...(o.subnet_id !== undefined ? { subnet_id: uuid(o.subnet_id, name) } : {}),
    ...(o.ip_address !== undefined ? { ip_address: ipAddress(o.ip_address, name) } : {}),
  };
};
const addressPair = (v: unknown, name: string) => {
  const o = dict(['ip_address', 'mac_address'], ['ip_address'])(v, name);
  const ip = typeof o.ip_address === 'string' ? o.ip_address : '';
  if (!parseIp(ip) && !parseCidr(ip)) throw invalidAttribute(name, `'${String(o.ip_address)}' is not a valid IP address`);
  return { ip_address: ip, ...(o.mac_address !== undefined ? { mac_address: macAddress(o.mac_address, name) } : {}) };
};

/** Neutron's max_fixed_ips_per_port and max_allowed_address_pair. */
const MAX_FIXED_IPS = 5;
const MAX_ADDRESS_PAIRS = 10;

const portAttributes: AttributeMap = {
  id: readOnly,
  status: readOnly,
  name: { post: true, put: true, default: '', check: text(255) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
  network_id: { post: true, put: false, check: uuid },
  admin_state_up: { post: true, put: true, default: true, check: boolean },
  mac_address: { post: true, put: true, default: UNSET, check: macAddress },
  fixed_ips: { post: true, put: true, default: UNSET, check: list(MAX_FIXED_IPS, fixedIp) },
  device_id: { post: true, put: true, default: '', check: text(255) },
  device_owner: { post: true, put: true, default: '', check: text(255) },
  security_groups: { post: true, put: true, default: UNSET, check: list(64, uuid) },
  port_security_enabled: { post: true, put: true, default: UNSET, check: boolean },
  allowed_address_pairs: { post: true, put: true, default: () => [], check: list(MAX_ADDRESS_PAIRS, addressPair) },
  'binding:host_id': { post: true, put: true, default: '', check: text(255) },
  'binding:vnic_type': { post: true, put: true, default: 'normal', check: oneOf(['normal']) },
};

/** The port ids whose addresses match a `fixed_ips` filter (`ip_address=…`, `subnet_id=…`), as an SQL subquery. */
function fixedIpsFilter(s: NetworkServices, values: string[]): WhereOptions {
  const q = (v: string) => s.models.NeutronPort.sequelize!.escape(v);
  const by = (key: string) => values.filter((v) => v.startsWith(`${key}=`)).map((v) => q(v.slice(key.length + 1)));
  const unknown = values.filter((v) => !/^(ip_address|subnet_id)=/.test(v));
  if (unknown.length) throw badRequest(`Invalid input for operation: Invalid filter for fixed_ips: '${unknown[0]}'.`);
  const conditions = [
    ...(by('ip_address').length ? [`ip_address IN (${by('ip_address').join(', ')})`] : []),
    ...(by('subnet_id').length ? [`subnet_id IN (${by('subnet_id').join(', ')})`] : []),
  ];
  return { id: { [Op.in]: literal(`(SELECT port_id FROM neutron_ip_allocations WHERE ${conditions.join(' AND ')})`) } };
}

const listSpec = (s: NetworkServices): ListSpec => ({
  collection: 'ports',
  attributes: {
    id: { column: 'id', sort: true },
    name: { column: 'name', sort: true },
    description: { column: 'description', sort: true },
    project_id: { column: 'project_id', sort: true },
    network_id: { column: 'network_id', sort: true },
    mac_address: { column: 'mac_address', sort: true },
    admin_state_up: { column: 'admin_state_up', convert: asBoolean, sort: true },
    status: { column: 'status', sort: true },
    device_id: { column: 'device_id', sort: true },
    device_owner: { column: 'device_owner', sort: true },
    port_security_enabled: { column: 'port_security_enabled', convert: asBoolean },
    'binding:host_id': { column: 'binding_host_id' },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
  special: { fixed_ips: (values) => fixedIpsFilter(s, values) },
});

/** Attributes only a network's owner (or an admin) may set on a port, and those only an admin may. */
function checkAttributePolicy(auth: AuthContext, action: string, network: NeutronNetworkRow, input: Record<string, unknown>): void {
  const owner = writes(auth, network.project_id);
  const refused: string[] = [];
  if (!owner && Array.isArray(input.fixed_ips) && (input.fixed_ips as FixedIpRequest[]).some((f) => f.ip_address !== undefined))
    refused.push('fixed_ips:ip_address');
  if (!owner && typeof input.mac_address === 'string') refused.push('mac_address');
  if (!owner && typeof input.port_security_enabled === 'boolean') refused.push('port_security_enabled');
  if (!auth.isAdmin && typeof input['binding:host_id'] === 'string' && input['binding:host_id']) refused.push('binding:host_id');
  if (refused.length) throw policyRefused(`(rule:${action} and ${refused.map((a) => `rule:${action}:${a}`).join(' and ')})`);
}

function checkAddressPairs(pairs: unknown[], portSecurity: boolean): void {
  if (pairs.length && !portSecurity) {
    throw conflict('AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
  }
}

/** `/v2.0/ports`. */
export function portRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/ports' });
  const spec = listSpec(s);
  const batcher = new PortBatcher(s);

  const render = async (auth: AuthContext, row: NeutronPortRow, transaction?: Transaction) =>
    portView(row, (await fixedIpsOf(s, [row.id], transaction)).get(row.id)!, auth.isAdmin);

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, spec);
    const where = [...q.where];
    const visible = visiblePorts(s, auth);
    if (visible) where.push(visible);
    if (q.marker) where.push(afterMarker(q, (await findPort(s, auth, q.marker)) as unknown as Record<string, unknown>));
    if (!q.fields.length && !q.pageReverse) {
      const page = await renderedPorts(s, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit, admin: auth.isAdmin });
      if (page) {
        const links = linksOf(
          ctx,
          q,
          page.ids.map((id) => ({ id })),
          'ports',
        );
        // The page goes out as SQLite wrote it: no rows as objects, no second serialization.
        ctx.type = 'application/json';
        ctx.body = `{"ports":${page.text}${Object.keys(links).length ? `,"ports_links":${JSON.stringify(links.ports_links)}` : ''}}`;
        return;
      }
    }
    let rows = await readRows(s.models.NeutronPort, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit });
    if (q.pageReverse) rows = rows.reverse();
    const ips = await fixedIpsOf(
      s,
      rows.map((r) => r.id),
    );
    const items = rows.map((r) => portView(r, ips.get(r.id)!, auth.isAdmin));
    ctx.body = { ports: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'ports') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    ctx.body = { port: select(fieldsOf(ctx.query.fields), await render(auth, await findPort(s, auth, ctx.params.id))) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'port', portAttributes, true);
    const network = await findNetwork(s, auth, input.network_id as string);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_port');
    mayCreate(auth, 'create_port', project);
    if (!auth.isAdmin && !dbBool(network.shared) && network.project_id !== project) {
      throw new NeutronError(403, 'HTTPForbidden', `Tenant ${project} not allowed to create port on this network`);
    }
    checkAttributePolicy(auth, 'create_port', network, input);
    const portSecurity = input.port_security_enabled === UNSET ? dbBool(network.port_security_enabled) : (input.port_security_enabled as boolean);
    const pairs = input.allowed_address_pairs as Array<{ ip_address: string; mac_address?: string }>;
    checkAddressPairs(pairs, portSecurity);
    const at = now(s);
    if (input.fixed_ips === UNSET && input.mac_address === UNSET) {
      // The common create (a boot's): batched with the others waiting on this network.
      const created = await batcher.create({
        auth,
        network,
        askedGroups: input.security_groups === UNSET ? undefined : (input.security_groups as string[]),
        pairs,
        port: {
          id: randomUUID(),
          project_id: project,
          network_id: network.id,
          name: input.name as string,
          description: input.description as string,
          admin_state_up: input.admin_state_up as boolean,
          status: 'DOWN',
          device_id: input.device_id as string,
          device_owner: input.device_owner as string,
          port_security_enabled: portSecurity,
          binding_host_id: input['binding:host_id'] as string,
          revision_number: 1,
          created_at: at,
          updated_at: at,
        },
      });
      ctx.status = 201;
      ctx.body = { port: portView(created.row, created.fixed, auth.isAdmin) };
      return;
    }
    const row = await serialized(s, [`network:${network.id}`, `project:${project}`], async (transaction) => {
      await checkQuota(s, project, 'port', 1, transaction);
      let mac: string;
      if (input.mac_address === UNSET) mac = await uniqueMac(s, network.id, transaction);
      else if (await macTaken(s, network.id, input.mac_address as string, transaction)) {
        throw conflict(
          'MacAddressInUse',
          `Unable to complete operation for network ${network.id}. The mac address ${String(input.mac_address)} is in use.`,
        );
      } else mac = input.mac_address as string;
      const device_owner = input.device_owner as string;
      const groups = await portSecurityGroups(
        s,
        auth,
        project,
        portSecurity,
        device_owner,
        input.security_groups === UNSET ? undefined : (input.security_groups as string[]),
        at,
        transaction,
      );
      const fixed = await allocate(
        s,
        transaction,
        { network_id: network.id, mac_address: mac, device_owner },
        await subnetsOf(s, network.id, transaction),
        input.fixed_ips === UNSET ? undefined : (input.fixed_ips as FixedIpRequest[]),
      );
      const port: NeutronPortRow = {
        id: randomUUID(),
        project_id: project,
        network_id: network.id,
        name: input.name as string,
        description: input.description as string,
        mac_address: mac,
        admin_state_up: input.admin_state_up as boolean,
        status: 'DOWN',
        device_id: input.device_id as string,
        device_owner,
        port_security_enabled: portSecurity,
        binding_host_id: input['binding:host_id'] as string,
        allowed_address_pairs: JSON.stringify(pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address ?? mac }))),
        security_groups: JSON.stringify(groups),
        revision_number: 1,
        created_at: at,
        updated_at: at,
      };
      await s.models.NeutronPort.create(port, { transaction });
      await s.models.NeutronIpAllocation.bulkCreate(
        fixed.map((f) => ({ ...f, network_id: network.id, port_id: port.id })),
        { transaction },
      );
      return port;
    });
    ctx.status = 201;
    ctx.body = { port: await render(auth, row) };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const found = await findPort(s, auth, ctx.params.id);
    const network = (await readByPk(s.models.NeutronNetwork, found.network_id))!;
    if (!writes(auth, found.project_id) && !writes(auth, network.project_id)) throw policyRefused('rule:update_port');
    const input = resourceBody(await jsonBody(ctx), 'port', portAttributes, false);
    checkAttributePolicy(auth, 'update_port', network, input);
    if (typeof input.mac_address === 'string' && !auth.isAdmin) throw policyRefused('(rule:update_port and rule:update_port:mac_address)');
    const row = await serialized(s, [`network:${network.id}`], async (transaction) => {
      const current = (await readByPk(s.models.NeutronPort, found.id, { transaction }))!;
      if (!current) throw new NeutronError(404, 'PortNotFound', `Port ${found.id} could not be found.`);
      const next: NeutronPortRow = { ...current, revision_number: Number(current.revision_number) + 1, updated_at: now(s) };
      for (const key of ['name', 'description', 'admin_state_up', 'device_id', 'device_owner', 'port_security_enabled'] as const) {
        if (key in input) (next as unknown as Record<string, unknown>)[key] = input[key];
      }
      if ('binding:host_id' in input) next.binding_host_id = input['binding:host_id'] as string;
      if (typeof input.mac_address === 'string' && input.mac_address !== current.mac_address) {
        if (await macTaken(s, network.id, input.mac_address, transaction)) {
          throw conflict(
            'MacAddressInUse',
            `Unable to complete operation for network ${network.id}. The mac address ${input.mac_address} is in use.`,
          );
        }
        next.mac_address = input.mac_address;
      }
      const portSecurity = dbBool(next.port_security_enabled);
      const pairs =
        'allowed_address_pairs' in input
          ? (input.allowed_address_pairs as Array<{ ip_address: string; mac_address?: string }>)
          : json<unknown[]>(current.allowed_address_pairs);
      checkAddressPairs(pairs, portSecurity);
      if ('allowed_address_pairs' in input) {
        next.allowed_address_pairs = JSON.stringify(
          (pairs as Array<{ ip_address: string; mac_address?: string }>).map((p) => ({
            ip_address: p.ip_address,
            mac_address: p.mac_address ?? next.mac_address,
          })),
        );
      }
      if (!portSecurity && 'port_security_enabled' in input && !('security_groups' in input) && json<string[]>(current.security_groups).length) {
        throw conflict(
          'PortSecurityPortHasSecurityGroups',
          'Port has security group associated. Cannot disable port security or ip address until security group is removed',
        );
      }
      if ('security_groups' in input || 'port_security_enabled' in input) {
        const asked = 'security_groups' in input ? (input.security_groups as string[]) : portSecurity ? json<string[]>(current.security_groups) : [];
        next.security_groups = JSON.stringify(
          await portSecurityGroups(s, auth, next.project_id, portSecurity, next.device_owner, asked, next.updated_at, transaction),
        );
      }
      if ('fixed_ips' in input) {
        const old = (await fixedIpsOf(s, [current.id], transaction)).get(current.id)!;
        const fixed = await allocate(s, transaction, next, await subnetsOf(s, network.id, transaction), input.fixed_ips as FixedIpRequest[], old);
        const same = (a: FixedIp, b: FixedIp) => a.subnet_id === b.subnet_id && a.ip_address === b.ip_address;
        for (const gone of old.filter((o) => !fixed.some((f) => same(f, o)))) {
          await s.models.NeutronIpAllocation.destroy({ where: { subnet_id: gone.subnet_id, ip_address: gone.ip_address }, transaction });
        }
        const added = fixed.filter((f) => !old.some((o) => same(f, o)));
        await s.models.NeutronIpAllocation.bulkCreate(
          added.map((f) => ({ ...f, network_id: network.id, port_id: current.id })),
          { transaction },
        );
      }
      await s.models.NeutronPort.update(next, { where: { id: current.id }, transaction });
      return next;
    });
    ctx.body = { port: await render(auth, row) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const found = await findPort(s, auth, ctx.params.id);
    const network = await readByPk(s.models.NeutronNetwork, found.network_id);
    if (!writes(auth, found.project_id) && !(network && writes(auth, network.project_id))) throw policyRefused('rule:delete_port');
    if (SERVICE_OWNERS.includes(found.device_owner) && !auth.isAdmin) {
      throw conflict('ServicePortInUse', `Port ${found.id} cannot be deleted directly via the port API: has device owner ${found.device_owner}.`);
    }
    await serialized(s, [`network:${found.network_id}`], async (transaction) => {
      // A floating IP mapped to the port is unmapped, as Neutron does when the port goes.
      await s.models.NeutronFloatingIp.update(
        { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' },
        { where: { port_id: found.id }, transaction },
      );
      await deletePort(s, found.id, transaction);
    });
    ctx.status = 204;
  });

  return router;
}
