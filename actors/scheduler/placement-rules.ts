import { Op } from 'sequelize';
import type { HostRow } from '../../models/host.js';
import type { Models } from '../../models/index.js';
import { groupOfInstance, recentAggregateFacts, rulesOf } from '../../models/placement.js';
import { aggregateSpecsMatch } from './extra-specs-match.js';
import { hostFitsImage, imageNeedsReader } from './image-properties.js';

/** What one boot asks of placement beyond room: its zone as the aggregates say, its group's policy, its flavor's specs. */
export interface PlacementRules {
  /** The host's zone: its aggregate's `availability_zone`, else the zone it was configured in. */
  zoneOf(h: HostRow): string;
  /** The filters: aggregate extra specs, image properties, and a hard group policy. */
  accepts(h: HostRow): boolean;
  /** The weighers, compared in order, higher first: a soft group policy, then free RAM times the multiplier. */
  score(h: HostRow, freeRamMb: number): [number, number];
  /** The host chosen: remembered, so the next boot of the group sees it before the host's claim is committed. */
  chosen(host: string): void;
}

export interface PlacementRequest {
  readonly instance_uuid: string;
  readonly tried: readonly string[];
  readonly extra_specs?: Readonly<Record<string, string>>;
  /** The image the server boots from, for the image properties filter. */
  readonly image?: string;
  /** The boot's server group; without one no group is read. */
  readonly server_group?: string;
  /** The boot's same_host / different_host hints; without them no instance is read. */
  readonly host_hints?: { readonly same_host?: readonly string[]; readonly different_host?: readonly string[] };
}

/** Where the servers a hint names are now (deleted ones and ones on no host are nowhere). */
async function hostsOfServers(models: Models, uuids: readonly string[] | undefined): Promise<Set<string> | undefined> {
  if (!uuids?.length) return undefined;
  const rows = await models.Instance.findAll({
    attributes: ['host'],
    where: { uuid: { [Op.in]: [...uuids] }, deleted_at: null, host: { [Op.ne]: null } },
    raw: true,
  });
  return new Set((rows as unknown as Array<{ host: string }>).map((r) => r.host));
}

/** How long a pick is remembered at most: a claim commits within it, or its boot was retried or failed. */
const PICK_MEMORY_MS = 60_000;

/**
 * The scheduler's placement rules over the tables. Its picks per group are soft state, like HostView's consumption:
 * they let a burst of boots into one group spread (or gather) at once; the host's claim check stays the authority.
 */
export function placementRules(models: Models, ramWeightMultiplier = 1) {
  const picks = new Map<string, Map<string, { host: string; at: number }>>();
  const imageNeeds = imageNeedsReader(models);
  return async (request: PlacementRequest, now: number): Promise<PlacementRules> => {
    const [facts, placement, image, sameHosts, differentHosts] = await Promise.all([
      recentAggregateFacts(models, now),
      request.server_group ? groupOfInstance(models, request.instance_uuid) : undefined,
      imageNeeds(request.image, now),
      hostsOfServers(models, request.host_hints?.same_host),
      hostsOfServers(models, request.host_hints?.different_host),
    ]);
    const zoneOf = (h: HostRow) => facts.zoneOf.get(h.name) ?? h.availability_zone;
    const specs = request.extra_specs ?? {};
    const counts = new Map<string, number>();
    let policy: string | undefined;
    let limit = 1;
    let groupPicks: Map<string, { host: string; at: number }> | undefined;
    if (placement) {
      const { group } = placement;
      policy = group.policy;
      limit = rulesOf(group).max_server_per_host ?? 1;
      groupPicks = picks.get(group.uuid);
      if (!groupPicks) picks.set(group.uuid, (groupPicks = new Map<string, { host: string; at: number }>()));
      // A retry means the last pick of this server did not hold.
      groupPicks.delete(request.instance_uuid);
      const hosts = new Map(placement.hosts);
      // A pick is needed only until the tables show its claim (a deleted member's would otherwise linger).
      for (const [uuid, pick] of groupPicks) {
        if (placement.settled.has(uuid) || now - pick.at > PICK_MEMORY_MS) groupPicks.delete(uuid);
        else hosts.set(uuid, pick.host);
      }
      hosts.delete(request.instance_uuid);
      for (const host of hosts.values()) counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    const affinityHost = policy === 'affinity' ? [...counts.keys()][0] : undefined;
    return {
      zoneOf,
      accepts: (h) => {
        if (!aggregateSpecsMatch(facts.metadataOf.get(h.name), specs) || !hostFitsImage(h, image)) return false;
        // Nova's SameHostFilter (a host holding one of the servers) and DifferentHostFilter (one holding none).
        if (sameHosts && !sameHosts.has(h.name)) return false;
        if (differentHosts?.has(h.name)) return false;
        if (policy === 'anti-affinity') return (counts.get(h.name) ?? 0) < limit;
        if (policy === 'affinity') return affinityHost === undefined || affinityHost === h.name;
        return true;
      },
      score: (h, freeRamMb) => {
        const members = counts.get(h.name) ?? 0;
        const soft = policy === 'soft-affinity' ? members : policy === 'soft-anti-affinity' ? -members : 0;
        return [soft, freeRamMb * ramWeightMultiplier];
      },
      chosen: (host) => groupPicks?.set(request.instance_uuid, { host, at: now }),
    };
  };
}
