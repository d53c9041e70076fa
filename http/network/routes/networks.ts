import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { Op } from 'sequelize';
import type { NeutronNetworkRow } from '../../../models/index.js';
import { readRows } from '../../../models/typed.js';
import { dbBool } from '../../db-values.js';
import type { AuthContext } from '../../identity/index.js';
import { findNetwork, visibleNetworks } from '../access.js';
import { boolean, integer, list, projectId, resourceBody, text, type AttributeMap } from '../attributes.js';
import { policyRefused } from '../errors.js';
import { afterMarker, asBoolean, asInteger, listQuery, orderOf, linksOf, select, type ListSpec } from '../list.js';
import { adminAttributes, mayCreate, ownProject, writes } from '../policy.js';
import { answered } from '../actors.js';
import { authenticate, jsonBody, now, type NetworkServices, type NetworkState } from '../services.js';
import { networkView } from '../views/network.js';

const readOnly = { post: false, put: false };
export const networkAttributes: AttributeMap = {
  id: readOnly,
  status: readOnly,
  subnets: readOnly,
  name: { post: true, put: true, default: '', check: text(255) },
  description: { post: true, put: true, default: '', check: text(255) },
  project_id: { post: true, put: false, default: undefined, check: projectId },
  admin_state_up: { post: true, put: true, default: true, check: boolean },
  shared: { post: true, put: true, default: false, check: boolean },
  'router:external': { post: true, put: true, default: false, check: boolean },
  is_default: { post: true, put: true, default: false, check: boolean },
  mtu: { post: true, put: true, default: 1500, check: integer(68, 9000) },
  port_security_enabled: { post: true, put: true, default: true, check: boolean },
  availability_zone_hints: { post: true, put: false, default: () => [], check: list(16, text(255)) },
};

const listSpec: ListSpec = {
  collection: 'networks',
  attributes: {
    id: { column: 'id', sort: true },
    name: { column: 'name', sort: true },
    description: { column: 'description', sort: true },
    project_id: { column: 'project_id', sort: true },
    status: { column: 'status', sort: true },
    admin_state_up: { column: 'admin_state_up', convert: asBoolean, sort: true },
    shared: { column: 'shared', convert: asBoolean, sort: true },
    'router:external': { column: 'external', convert: asBoolean, sort: true },
    is_default: { column: 'is_default', convert: asBoolean },
    mtu: { column: 'mtu', convert: asInteger, sort: true },
    port_security_enabled: { column: 'port_security_enabled', convert: asBoolean },
    revision_number: { column: 'revision_number', convert: asInteger },
  },
};

/** The ids of each network's subnets. */
async function subnetIds(s: NetworkServices, networks: readonly string[]): Promise<Map<string, string[]>> {
  const rows = networks.length
    ? await readRows(s.models.NeutronSubnet, {
        attributes: ['id', 'network_id'],
        where: { network_id: { [Op.in]: [...networks] } },
        order: [
          ['created_at', 'ASC'],
          ['id', 'ASC'],
        ],
      })
    : [];
  const out = new Map<string, string[]>(networks.map((id) => [id, []]));
  for (const r of rows) out.get(r.network_id)?.push(r.id);
  return out;
}

export async function renderNetwork(s: NetworkServices, row: NeutronNetworkRow) {
  return networkView(row, (await subnetIds(s, [row.id])).get(row.id)!);
}

/** A network the caller may change: one it cannot see is not found, one it sees but may not change is refused. */
async function writableNetwork(s: NetworkServices, auth: AuthContext, id: string, action: string) {
  const row = await findNetwork(s, auth, id);
  if (!writes(auth, row.project_id)) throw policyRefused(`rule:${action}`);
  return row;
}

/** `/v2.0/networks`. */
export function networkRoutes(s: NetworkServices): Router<NetworkState> {
  const router = new Router<NetworkState>({ prefix: '/v2.0/networks' });

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const q = await listQuery(ctx, listSpec);
    const where = [...q.where];
    const visible = visibleNetworks(auth);
    if (visible) where.push(visible);
    if (q.marker) {
      const at = await findNetwork(s, auth, q.marker);
      where.push(afterMarker(q, at as unknown as Record<string, unknown>));
    }
    let rows = await readRows(s.models.NeutronNetwork, { where: { [Op.and]: where }, order: orderOf(q), limit: q.limit });
    if (q.pageReverse) rows = rows.reverse();
    const subnets = await subnetIds(
      s,
      rows.map((r) => r.id),
    );
    const items = rows.map((r) => networkView(r, subnets.get(r.id)!));
    ctx.body = { networks: items.map((i) => select(q.fields, i)), ...linksOf(ctx, q, items, 'networks') };
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await findNetwork(s, auth, ctx.params.id);
    ctx.body = { network: select(fieldsOf(ctx.query.fields), await renderNetwork(s, row)) };
  });

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const raw = await jsonBody(ctx);
    const input = resourceBody(raw, 'network', networkAttributes, true);
    const project = (input.project_id as string | undefined) ?? ownProject(auth, 'create_network');
    mayCreate(auth, 'create_network', project);
    adminAttributes(
      auth,
      'create_network',
      { shared: input.shared || undefined, 'router:external': input['router:external'] || undefined, is_default: input.is_default || undefined },
      ['shared', 'router:external', 'is_default'],
    );
    const at = now(s);
    const row: NeutronNetworkRow = {
      id: randomUUID(),
      project_id: project,
      name: input.name as string,
      description: input.description as string,
      admin_state_up: input.admin_state_up as boolean,
      status: 'ACTIVE',
      shared: input.shared as boolean,
      external: input['router:external'] as boolean,
      is_default: input.is_default as boolean,
      mtu: input.mtu as number,
      port_security_enabled: input.port_security_enabled as boolean,
      availability_zone_hints: JSON.stringify(input.availability_zone_hints),
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    const stored = await answered(s.actors.network(row.id).create({ row: rowPayload(row) }));
    ctx.status = 201;
    ctx.body = { network: networkView(stored, []) };
  });

  router.put('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableNetwork(s, auth, ctx.params.id, 'update_network');
    const input = resourceBody(await jsonBody(ctx), 'network', networkAttributes, false);
    const current = { shared: row.shared, 'router:external': row.external, is_default: row.is_default };
    const changesAdmin = (['shared', 'router:external', 'is_default'] as const).filter((a) => a in input && input[a] !== dbBool(current[a]));
    if (changesAdmin.length) adminAttributes(auth, 'update_network', Object.fromEntries(changesAdmin.map((a) => [a, true])), changesAdmin);
    const changes: Record<string, unknown> = {};
    for (const key of ['name', 'description', 'admin_state_up', 'shared', 'mtu', 'port_security_enabled', 'is_default'] as const) {
      if (key in input) changes[key] = input[key];
    }
    if ('router:external' in input) changes.external = input['router:external'];
    const next = await answered(s.actors.network(row.id).update({ changes }));
    ctx.body = { network: await renderNetwork(s, next) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const row = await writableNetwork(s, auth, ctx.params.id, 'delete_network');
    await answered(s.actors.network(row.id).delete({}));
    ctx.status = 204;
  });

  return router;
}

/** A row as a message carries it: dates as ISO text, as the table takes them back. */
export const rowPayload = <T extends { id: string; project_id: string }>(row: T) =>
  JSON.parse(JSON.stringify(row)) as { id: string; project_id: string } & Record<string, unknown>;

export const fieldsOf = (value: string | string[] | undefined): string[] =>
  (value === undefined ? [] : Array.isArray(value) ? value : [value]).filter(Boolean);
