import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { NeutronSubnetRow } from '../../../models/index.js';
import { readRows } from '../../../models/typed.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, findSubnet, visibleSubnets } from '../access.js';
import {
  boolean,
  integer,
  ipAddress,
  list,
  nullableText,
  object,
  oneOf,
  projectId,
  resourceBody,
  subnetCidr,
  text,
  uuid,
  type AttributeMap,
} from '../attributes.js';
import { badResourceRequest, invalidInput, policyRefused } from '../errors.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { mayCreate, ownProject, writes } from '../policy.js';
import { answered } from '../actors.js';
import { authenticate, json, jsonBody, now, type NetworkServices, type NetworkState } from '../services.js';
import {
  checkHostRoutes,
  checkNameservers,
  checkPools,
  cidrString,
  defaultGateway,
  defaultPools,
  gatewayOf,
  MAX_DNS_NAMESERVERS,
  MAX_HOST_ROUTES,
  subnetCidrOf,
} from '../subnet-rules.js';
import { subnetView, type Pool } from '../views/subnet.js';
import { fieldsOf, rowPayload } from './networks.js';

const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', null];
// Unset gateway and pools are told apart from an explicit null gateway.
const UNSET = Symbol('unset');
const readOnly = { post: false, put: false };
const subnetAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: '', check: text(255) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
  network_id: { post: true, put: false, check: uuid },
  ip_version: { post: true, put: false, check: (v, n) => oneOf([4, 6])(integer(4, 6)(v, n), n) },
  cidr: { post: true, put: false, default: UNSET, check: subnetCidr },
  gateway_ip: { post: true, put: true, default: UNSET, check: (v, n) => (v === null ? null : ipAddress(v, n)) },
  allocation_pools: { post: true, put: true, default: UNSET, check: list(1024, object) },
  enable_dhcp: { post: true, put: true, default: true, check: boolean },
  dns_nameservers: { post: true, put: true, default: () => [], check: list(MAX_DNS_NAMESERVERS + 1, (v) => v) },
  host_routes: { post: true, put: true, default: () => [], check: list(MAX_HOST_ROUTES + 1, (v) => v) },
  ipv6_ra_mode: { post: true, put: false, default: null, check: oneOf(IPV6_MODES) },
  ipv6_address_mode: { post: true, put: false, default: null, check: oneOf(IPV6_MODES) },
  subnetpool_id: { post: true, put: false, default: null, check: (v, n) => (v === null ? null : nullableText(36)(v, n)) },
};

const listSpec: ListSpec = {
  collection: 'subnets',
  attributes: {
    id: { column: 'id', sort: true },
    name: { column: 'name', sort: true },
    description: { column: 'description', sort: true },
    project_id: { column: 'project_id', sort: true },
    network_id: { column: 'network_id', sort: true },
    ip_version: { column: 'ip_version', convert: asInteger, sort: true },
    cidr: { column: 'cidr', sort: true },
    gateway_ip: { column: 'gateway_ip', sort: true },
    enable_dhcp: { column: 'enable_dhcp', convert: asBoolean, sort: true },
    ipv6_ra_mode: { column: 'ipv6_ra_mode' },
    ipv6_address_mode: { column: 'ipv6_address_mode' },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

/** A subnet the caller may change: on a network it owns (or as admin). */
async function writableSubnet(s: NetworkServices, auth: AuthContext, id: string, action: string) {
  const row = await findSubnet(s, auth, id);
  const network = await findNetwork(s, { ...auth, isAdmin: true }, row.network_id);
  if (!writes(auth, network.project_id) && !writes(auth, row.project_id)) throw policyRefused(`rule:${action}`);
  return row;
}

/** `/v2.0/subnets`. */
export function subnetRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/subnets' });

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    const where = [...q.where];
    const visible = visibleSubnets(s, auth);
    if (visible) where.push(visible);
    if (q.marker) where.push(afterMarker(q, (await findSubnet(s, auth, q.marker)) as unknown as Record<string, unknown>));
    let rows = await readRows(s.models.NeutronSubnet, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit });
    if (q.pageReverse) rows = rows.reverse();
    const items = rows.map(subnetView);
    ctx.body = { subnets: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'subnets') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    ctx.body = { subnet: select(fieldsOf(ctx.query.fields), subnetView(await findSubnet(s, auth, ctx.params.id))) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const input = resourceBody(await jsonBody(ctx), 'subnet', subnetAttributes, true);
    const network = await findNetwork(s, auth, input.network_id as string);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_subnet');
    mayCreate(auth, 'create_subnet', project);
    // A subnet goes on a network of the caller's own (a shared one is for ports only).
    if (!writes(auth, network.project_id)) throw policyRefused('rule:create_subnet');
    if (input.cidr === UNSET) throw badResourceRequest('subnet', 'a subnetpool must be specified in the absence of a cidr');
    const version = input.ip_version as number;
    const c = subnetCidrOf(input.cidr as string, version);
    const cidr = cidrString(c);
    const gateway = input.gateway_ip === UNSET ? defaultGateway(c) : gatewayOf(input.gateway_ip as string | null, c);
    const pools: Pool[] =
      input.allocation_pools === UNSET ? defaultPools(c, gateway) : checkPools(input.allocation_pools as unknown[], c, cidr, gateway);
    if (version === 4 && input.ipv6_ra_mode !== null) throw invalidInput('ipv6_ra_mode is not valid when ip_version is 4');
    if (version === 4 && input.ipv6_address_mode !== null) throw invalidInput('ipv6_address_mode is not valid when ip_version is 4');
    const at = now(s);
    const row: NeutronSubnetRow = {
      id: randomUUID(),
      project_id: project,
      network_id: network.id,
      name: input.name as string,
      description: input.description as string,
      ip_version: version,
      cidr,
      gateway_ip: gateway,
      allocation_pools: JSON.stringify(pools),
      enable_dhcp: input.enable_dhcp as boolean,
      dns_nameservers: JSON.stringify(checkNameservers(input.dns_nameservers as unknown[])),
      host_routes: JSON.stringify(checkHostRoutes(input.host_routes as unknown[], version)),
      ipv6_ra_mode: input.ipv6_ra_mode as string | null,
      ipv6_address_mode: input.ipv6_address_mode as string | null,
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    const stored = await answered(s.actors.network(network.id).createSubnet({ row: rowPayload(row) }));
    ctx.status = 201;
    ctx.body = { subnet: subnetView(stored) };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableSubnet(s, auth, ctx.params.id, 'update_subnet');
    const input = resourceBody(await jsonBody(ctx), 'subnet', subnetAttributes, false);
    const c = subnetCidrOf(row.cidr, Number(row.ip_version));
    const gateway = 'gateway_ip' in input ? gatewayOf(input.gateway_ip as string | null, c) : row.gateway_ip;
    const pools = 'allocation_pools' in input ? (input.allocation_pools as unknown[]) : json<Pool[]>(row.allocation_pools);
    const next: NeutronSubnetRow = {
      ...row,
      name: 'name' in input ? (input.name as string) : row.name,
      description: 'description' in input ? (input.description as string) : row.description,
      enable_dhcp: 'enable_dhcp' in input ? (input.enable_dhcp as boolean) : row.enable_dhcp,
      gateway_ip: gateway,
      allocation_pools: JSON.stringify(checkPools(pools, c, row.cidr, gateway)),
      dns_nameservers: 'dns_nameservers' in input ? JSON.stringify(checkNameservers(input.dns_nameservers as unknown[])) : row.dns_nameservers,
      host_routes: 'host_routes' in input ? JSON.stringify(checkHostRoutes(input.host_routes as unknown[], Number(row.ip_version))) : row.host_routes,
      revision_number: Number(row.revision_number) + 1,
      updated_at: now(s),
    };
    const changes: Record<string, unknown> = {};
    for (const key of ['name', 'description', 'enable_dhcp', 'gateway_ip', 'allocation_pools', 'dns_nameservers', 'host_routes'] as const) {
      if (key in input || key === 'allocation_pools') changes[key] = next[key];
    }
    if ('gateway_ip' in input) changes.gateway_ip = gateway;
    const stored = await answered(s.actors.network(row.network_id).updateSubnet({ id: row.id, changes }));
    ctx.body = { subnet: subnetView(stored) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableSubnet(s, auth, ctx.params.id, 'delete_subnet');
    await answered(s.actors.network(row.network_id).deleteSubnet({ id: row.id }));
    ctx.status = 204;
  });

  return router;
}
