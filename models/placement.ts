import { QueryTypes } from 'sequelize';
import type { Models } from './index.js';
import { readByPk } from './typed.js';
import type { ServerGroupMemberRow, ServerGroupRow } from './server-group.js';

// The reads placement shares between the scheduler (filters, weighers), the hosts (claim-time checks) and the API.

/** Where a group's live members are: each server not deleted, by its host (the instance's own, else its claim's). */
export interface GroupPlacement {
  readonly group: ServerGroupRow;
  readonly member: ServerGroupMemberRow;
  /** instance UUID → host, for members already claimed by a host. */
  readonly hosts: ReadonlyMap<string, string>;
  /** Members whose claim is in the tables, or that are deleted: what a scheduler's own picks need not add. */
  readonly settled: ReadonlySet<string>;
}

/** The group an instance is in with where its members run, or undefined for a server in none. */
export async function groupOfInstance(models: Models, instanceUuid: string): Promise<GroupPlacement | undefined> {
  const member = await readByPk(models.ServerGroupMember, instanceUuid);
  if (!member) return undefined;
  const group = await readByPk(models.ServerGroup, member.group_uuid);
  if (!group) return undefined;
  return { group, member, ...(await memberHosts(models, group.uuid)) };
}

export async function memberHosts(models: Models, groupUuid: string): Promise<Pick<GroupPlacement, 'hosts' | 'settled'>> {
  const rows = await models.ServerGroupMember.sequelize!.query<{
    instance_uuid: string;
    host: string | null;
    gone: number | string;
    claimed: number | string;
  }>(
    `SELECT m.instance_uuid AS instance_uuid, COALESCE(i.host, m.host) AS host,
            CASE WHEN i.deleted_at IS NULL THEN 0 ELSE 1 END AS gone, CASE WHEN m.host IS NULL THEN 0 ELSE 1 END AS claimed
       FROM server_group_members m LEFT JOIN instances i ON i.uuid = m.instance_uuid
      WHERE m.group_uuid = ?`,
    { replacements: [groupUuid], type: QueryTypes.SELECT },
  );
  const hosts = new Map<string, string>();
  const settled = new Set<string>();
  for (const r of rows) {
    const gone = Number(r.gone) === 1;
    if (gone || Number(r.claimed) === 1) settled.add(r.instance_uuid);
    if (!gone && r.host) hosts.set(r.instance_uuid, r.host);
  }
  return { hosts, settled };
}

/** A group's rules (2.64): max_server_per_host, when set. */
export function rulesOf(group: Pick<ServerGroupRow, 'rules'>): { max_server_per_host?: number } {
  try {
    const parsed = JSON.parse(group.rules) as { max_server_per_host?: number | string };
    return parsed.max_server_per_host === undefined ? {} : { max_server_per_host: Number(parsed.max_server_per_host) };
  } catch {
    return {};
  }
}

/** What the aggregates say of hosts: each host's zone (from an aggregate's `availability_zone`) and metadata values by key. */
export interface AggregateFacts {
  readonly zoneOf: ReadonlyMap<string, string>;
  readonly metadataOf: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;
}

export async function aggregateFacts(models: Models): Promise<AggregateFacts> {
  const rows = await models.Aggregate.sequelize!.query<{ host: string; metadata: string }>(
    'SELECT h.host AS host, a.metadata AS metadata FROM aggregate_hosts h JOIN aggregates a ON a.id = h.aggregate_id ORDER BY a.id',
    { type: QueryTypes.SELECT },
  );
  const zoneOf = new Map<string, string>();
  const metadataOf = new Map<string, Map<string, Set<string>>>();
  for (const row of rows) {
    const metadata = parseMetadata(row.metadata);
    if (metadata.availability_zone && !zoneOf.has(row.host)) zoneOf.set(row.host, metadata.availability_zone);
    let keys = metadataOf.get(row.host);
    if (!keys) metadataOf.set(row.host, (keys = new Map<string, Set<string>>()));
    for (const [k, v] of Object.entries(metadata)) {
      let values = keys.get(k);
      if (!values) keys.set(k, (values = new Set()));
      values.add(v);
    }
  }
  return { zoneOf, metadataOf };
}

export function parseMetadata(text: string): Record<string, string> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The zone a host's aggregates give it, if any. */
export async function aggregateZoneOf(models: Models, host: string, now = Date.now()): Promise<string | undefined> {
  return (await recentAggregateFacts(models, now)).zoneOf.get(host);
}

// Aggregates change rarely and are read on every boot (the scheduler's filters, the host's zone): their facts are
// kept briefly per database. A change made through this process is seen at once (the generation); one made by
// another node within FACTS_MAX_AGE_MS.
const FACTS_MAX_AGE_MS = 1_000;
let generation = 0;
const kept = new WeakMap<Models, { at: number; generation: number; facts: Promise<AggregateFacts> }>();

/** Says an aggregate changed, so this process reads the facts again. */
export function aggregatesChanged(): void {
  generation++;
}

export function recentAggregateFacts(models: Models, now: number): Promise<AggregateFacts> {
  const hit = kept.get(models);
  if (hit && hit.generation === generation && now - hit.at >= 0 && now - hit.at <= FACTS_MAX_AGE_MS) return hit.facts;
  const facts = aggregateFacts(models);
  kept.set(models, { at: now, generation, facts });
  facts.catch(() => kept.delete(models));
  return facts;
}
