import { QueryTypes } from 'sequelize';
import type { Models } from '../../models/index.js';
import { groupOfInstance, rulesOf } from '../../models/placement.js';

// Nova's late checks in the compute manager (_validate_instance_group_policy), in its words.
export const ANTI_AFFINITY_VIOLATED = 'Anti-affinity instance group policy was violated.';
export const AFFINITY_VIOLATED = 'Affinity instance group policy was violated.';

/** A claim's verdict: refused with Nova's reason, or accepted with the membership row to record in the claim's commit. */
export type GroupVerdict = { refusal: string } | { member?: { instance_uuid: string; group_uuid: string; host: string; created_at: Date } };

export interface GroupClaims {
  check(host: string, instanceUuid: string): Promise<GroupVerdict>;
  /** The claim did not hold (its spawn failed) or the server left the host. */
  forget(host: string, instanceUuid: string): void;
}

/**
 * The hard group policies checked where the claim is made, so concurrent boots cannot break them whatever the
 * scheduler believed. Anti-affinity is host-local: each host actor handles its claims one at a time, and remembers the
 * members it accepted until the tables show them (its claims' commits may still be in flight). Affinity needs one host
 * for the whole group: the first claim fixes the group's host in one conditional UPDATE, so two hosts cannot both win.
 */
export function groupClaims(models: Models): GroupClaims {
  // host → instance → group: accepted here, maybe not yet committed.
  const accepted = new Map<string, Map<string, string>>();
  const sql = models.ServerGroup.sequelize!;
  const fixHost = async (group: string, host: string) => {
    const [, affected] = await sql.query('UPDATE server_groups SET host = ? WHERE uuid = ? AND (host IS NULL OR host = ?)', {
      replacements: [host, group, host],
      type: QueryTypes.UPDATE,
    });
    return affected > 0;
  };
  // A group whose every other member is gone or failed may move to another host (compared and set, so only one moves it).
  const moveHost = async (group: string, from: string | null, host: string) => {
    if (from === null) return false;
    const [, affected] = await sql.query('UPDATE server_groups SET host = ? WHERE uuid = ? AND host = ?', {
      replacements: [host, group, from],
      type: QueryTypes.UPDATE,
    });
    return affected > 0;
  };
  const movable = async (group: string, instanceUuid: string) => {
    const [row] = await sql.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM server_group_members m JOIN instances i ON i.uuid = m.instance_uuid
        WHERE m.group_uuid = ? AND m.instance_uuid <> ? AND i.deleted_at IS NULL AND i.vm_state <> 'error'`,
      { replacements: [group, instanceUuid], type: QueryTypes.SELECT },
    );
    return Number(row?.n ?? 0) === 0;
  };
  return {
    async check(host, instanceUuid) {
      const placement = await groupOfInstance(models, instanceUuid);
      if (!placement) return {};
      const { group } = placement;
      const here = accepted.get(host) ?? new Map<string, string>();
      if (group.policy === 'anti-affinity') {
        const members = new Set([...placement.hosts].filter(([, h]) => h === host).map(([uuid]) => uuid));
        for (const [uuid, g] of here) if (g === group.uuid) members.add(uuid);
        members.delete(instanceUuid);
        if (members.size >= (rulesOf(group).max_server_per_host ?? 1)) return { refusal: ANTI_AFFINITY_VIOLATED };
      } else if (group.policy === 'affinity') {
        const elsewhere = [...placement.hosts].some(([uuid, h]) => uuid !== instanceUuid && h !== host);
        if (elsewhere) return { refusal: AFFINITY_VIOLATED };
        if (!(await fixHost(group.uuid, host))) {
          if (!(await movable(group.uuid, instanceUuid)) || !(await moveHost(group.uuid, group.host, host))) return { refusal: AFFINITY_VIOLATED };
        }
      }
      here.set(instanceUuid, group.uuid);
      accepted.set(host, here);
      return { member: { instance_uuid: instanceUuid, group_uuid: group.uuid, host, created_at: placement.member.created_at } };
    },
    forget(host, instanceUuid) {
      accepted.get(host)?.delete(instanceUuid);
    },
  };
}
