import { Op, type WhereOptions } from 'sequelize';
import type { Models, ActorRecordRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { ActorRow, InventoryFilter, Operator, TreeCounts } from '../../runtime/operator.js';
import type { ClusterView, NodeInfo } from '../../runtime/cluster/types.js';
import { askPeer, livePeers } from './peers.js';

// The inspector's view of the whole cluster, bounded whatever its size: counts per node, supervisor, kind and
// status, and only the window of rows a page shows. Live actors come from the nodes holding them (this one's
// activations, the others' admin APIs asked with the caller's token); passivated ones, and failed ones no node
// holds, from their rows in actor_records, which every node shares.

/** A filter as the API takes it; `state` is an activation status, or `passivated`. */
export interface ActorSearch {
  readonly kind?: string;
  readonly node?: string;
  readonly state?: string;
  readonly q?: string;
  readonly offset: number;
  readonly limit: number;
}

/** A node's part of a search: what `GET /v1/actors?scope=node&view=inventory` answers. */
export interface NodeInventory {
  readonly total: number;
  readonly counts: Record<string, Record<string, number>>;
  readonly actors: ActorRow[];
}

export interface RecordRow {
  readonly kind: string;
  readonly id: string;
  readonly node: string | null;
  readonly status: 'passivated' | 'failed';
  readonly epoch: number;
  readonly failure?: string;
}

export interface Inventory {
  readonly total: number;
  /** node → kind → status → actors; passivated and failed actors no node holds under node `-`. */
  readonly counts: Record<string, Record<string, Record<string, number>>>;
  readonly actors: Array<ActorRow | RecordRow>;
  readonly unreachable_nodes: string[];
}

/** Where passivated rows and failed ones no node holds are counted. */
export const RECORDS = '-';
/** Servers whose name matches a search, at most: an instance actor's id is its server's UUID. */
const NAME_MATCHES = 1_000;

export interface InventoryDeps {
  readonly operator: Operator;
  readonly cluster: ClusterView;
  readonly models: Models;
}

/** The instance actors a search names: servers whose name or UUID contains `q` (case-insensitive). */
async function namedIds(models: Models, q: string): Promise<Set<string>> {
  // `_` matches any one character in LIKE: the rows are checked again here, so it only widens the read.
  const pattern = `%${q}%`;
  const rows = await readRows(models.Instance, {
    attributes: ['uuid', 'display_name'],
    where: { deleted_at: null, [Op.or]: [{ display_name: { [Op.like]: pattern } }, { uuid: { [Op.like]: pattern } }] },
    limit: NAME_MATCHES,
  });
  return new Set(rows.filter((r) => r.display_name.toLowerCase().includes(q) || r.uuid.includes(q)).map((r) => r.uuid));
}

/** This node's part: its own live actors matching the search. */
export async function nodeInventory(deps: InventoryDeps, search: ActorSearch): Promise<NodeInventory> {
  const filter: InventoryFilter = {
    ...(search.kind ? { kind: search.kind } : {}),
    ...(search.state ? { status: search.state } : {}),
    ...(search.q ? { q: search.q, ids: await namedIds(deps.models, search.q) } : {}),
  };
  const { total, counts, rows } = deps.operator.inventory(filter, search.offset, search.limit);
  return { total, counts, actors: rows };
}

const query = (search: ActorSearch, offset: number, limit: number) =>
  new URLSearchParams({
    scope: 'node',
    view: 'inventory',
    offset: String(offset),
    limit: String(limit),
    ...(search.kind ? { kind: search.kind } : {}),
    ...(search.state ? { state: search.state } : {}),
    ...(search.q ? { q: search.q } : {}),
  });

const sum = (counts: Record<string, Record<string, number>>) =>
  Object.values(counts).reduce((n, perStatus) => n + Object.values(perStatus).reduce((a, b) => a + b, 0), 0);

/** Passivated actors and failed ones no node holds, from their rows: counts per kind and status, and a window. */
async function recordInventory(
  models: Models,
  search: ActorSearch,
  liveCounts: Record<string, Record<string, number>>,
  offset: number,
  limit: number,
): Promise<{ total: number; counts: Record<string, Record<string, number>>; actors: RecordRow[] }> {
  const statuses = search.state === 'passivated' ? ['ok'] : search.state === 'failed' ? ['failed'] : ['ok', 'failed'];
  const ids = search.q ? [...(await namedIds(models, search.q))] : [];
  const where: WhereOptions<ActorRecordRow> = {
    status: { [Op.in]: statuses },
    ...(search.kind ? { kind: search.kind } : {}),
    ...(search.q ? { [Op.or]: [{ id: { [Op.like]: `%${search.q}%` } }, ...(ids.length ? [{ id: { [Op.in]: ids } }] : [])] } : {}),
  };
  const grouped = (await models.ActorRecord.findAll({
    attributes: ['kind', 'status', [models.ActorRecord.sequelize!.fn('COUNT', '*'), 'n']],
    where,
    group: ['kind', 'status'],
    raw: true,
  })) as unknown as Array<{ kind: string; status: string; n: number | string }>;
  // Every live actor has its row: the rows not live anywhere are the rows less the live actors counted.
  const counts: Record<string, Record<string, number>> = {};
  for (const g of grouped) {
    const live = Object.entries(liveCounts[g.kind] ?? {})
      .filter(([status]) => (g.status === 'failed' ? status === 'failed' : status !== 'failed'))
      .reduce((a, [, n]) => a + n, 0);
    const n = Math.max(0, Number(g.n) - live);
    if (n > 0) (counts[g.kind] ??= {})[g.status === 'failed' ? 'failed' : 'passivated'] = n;
  }
  const rows = limit
    ? await readRows(models.ActorRecord, {
        where,
        order: [
          ['kind', 'ASC'],
          ['id', 'ASC'],
        ],
        offset,
        limit,
        attributes: ['kind', 'id', 'node', 'status', 'epoch', 'failure_reason'],
      })
    : [];
  return {
    total: sum(counts),
    counts,
    actors: rows.map((r) => ({
      kind: r.kind,
      id: r.id,
      node: r.node,
      status: r.status === 'failed' ? 'failed' : 'passivated',
      epoch: r.epoch,
      ...(r.failure_reason ? { failure: r.failure_reason } : {}),
    })),
  };
}

/** The nodes a search reads live actors from: this one and the live others, in node id order. */
const sources = (cluster: ClusterView, node?: string): NodeInfo[] =>
  [...cluster.nodes()]
    .filter((n) => n.nodeId === cluster.self || livePeers(cluster).some((p) => p.nodeId === n.nodeId))
    .filter((n) => node === undefined || n.nodeId === node)
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId));

/**
 * The whole cluster's answer to a search: per node counts, and the rows from `offset` (nodes in id order, each
 * node's actors in its own order, then the rows of actors no node holds when the search asks for passivated or
 * failed ones, or names something).
 */
export async function clusterInventory(deps: InventoryDeps, search: ActorSearch, token: string): Promise<Inventory> {
  const nodes = sources(deps.cluster, search.node === RECORDS ? '\0' : search.node);
  const withRecords =
    (search.node === undefined || search.node === RECORDS) && (search.state === 'passivated' || search.state === 'failed' || search.q !== undefined);
  const unreachable: string[] = [];
  // First the counts of every node, then the windows of the nodes the page's rows fall in.
  const counted = await Promise.all(
    nodes.map(async (n) => {
      if (n.nodeId === deps.cluster.self) return nodeInventory(deps, { ...search, offset: 0, limit: 0 });
      const a = await askPeer<NodeInventory>(n, 'GET', `/v1/actors?${query(search, 0, 0)}`, token);
      if (a?.status !== 200) unreachable.push(n.nodeId);
      return a?.status === 200 ? a.body : { total: 0, counts: {}, actors: [] };
    }),
  );
  const counts: Inventory['counts'] = {};
  nodes.forEach((n, i) => {
    if (counted[i].total) counts[n.nodeId] = counted[i].counts;
  });
  const live: Record<string, Record<string, number>> = {};
  if (withRecords)
    for (const c of counted)
      for (const [kind, perStatus] of Object.entries(c.counts))
        for (const [status, n] of Object.entries(perStatus)) (live[kind] ??= {})[status] = (live[kind][status] ?? 0) + n;
  const actors: Inventory['actors'] = [];
  let start = 0;
  for (const [i, n] of nodes.entries()) {
    const total = counted[i].total;
    const from = Math.max(search.offset - start, 0);
    const want = Math.min(search.limit - actors.length, total - from);
    start += total;
    if (want <= 0) continue;
    if (n.nodeId === deps.cluster.self) actors.push(...(await nodeInventory(deps, { ...search, offset: from, limit: want })).actors);
    else {
      const a = await askPeer<NodeInventory>(n, 'GET', `/v1/actors?${query(search, from, want)}`, token);
      if (a?.status === 200) actors.push(...a.body.actors.slice(0, want));
    }
  }
  let total = start;
  if (withRecords) {
    const from = Math.max(search.offset - start, 0);
    const records = await recordInventory(deps.models, search, live, from, Math.max(0, search.limit - actors.length));
    if (records.total) counts[RECORDS] = records.counts;
    total += records.total;
    // A row of an actor live somewhere is left out (the counts above already leave it out).
    const liveHere = (r: RecordRow) => deps.operator.isActive({ kind: r.kind, id: r.id }) || actors.some((a) => a.kind === r.kind && a.id === r.id);
    actors.push(...records.actors.filter((r) => !liveHere(r)));
  }
  return { total, counts, actors: actors.slice(0, search.limit), unreachable_nodes: unreachable };
}

/** A node of the tree: its record, and its supervision tree as counts (absent when it did not answer). */
export interface TreeNode {
  readonly node: NodeInfo;
  readonly supervisors?: TreeCounts;
}

/** Every node the view knows, with the supervision tree of each live one, and the passivated actors per kind. */
export async function clusterTree(
  deps: InventoryDeps,
  token: string,
): Promise<{ nodes: TreeNode[]; passivated: Record<string, number>; unreachable_nodes: string[] }> {
  const peers = livePeers(deps.cluster);
  const answers = await Promise.all(peers.map((p) => askPeer<{ supervisors: TreeCounts }>(p, 'GET', '/v1/tree?scope=node', token)));
  const trees = new Map<string, TreeCounts>([[deps.cluster.self, deps.operator.tree()]]);
  peers.forEach((p, i) => {
    if (answers[i]?.status === 200) trees.set(p.nodeId, answers[i].body.supervisors);
  });
  const nodes = [...deps.cluster.nodes()]
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
    .map((n) => ({ node: n, ...(trees.has(n.nodeId) ? { supervisors: trees.get(n.nodeId)! } : {}) }));
  const live: Record<string, Record<string, number>> = {};
  for (const t of trees.values())
    for (const kinds of Object.values(t))
      for (const [kind, perStatus] of Object.entries(kinds))
        for (const [status, n] of Object.entries(perStatus)) (live[kind] ??= {})[status] = (live[kind][status] ?? 0) + n;
  const records = await recordInventory(deps.models, { state: 'passivated', offset: 0, limit: 0 }, live, 0, 0);
  const passivated = Object.fromEntries(Object.entries(records.counts).map(([kind, s]) => [kind, s.passivated ?? 0]));
  return { nodes, passivated, unreachable_nodes: peers.filter((_, i) => answers[i]?.status !== 200).map((p) => p.nodeId) };
}
