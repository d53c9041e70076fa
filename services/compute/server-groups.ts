import { randomUUID } from 'node:crypto';
import { Op, QueryTypes } from 'sequelize';
import type { ServerGroupRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import type { ComputeDeps } from './deps.js';
import { badRequest, ComputeFault, notFound } from './errors.js';
import { authorize, type ComputeCaller } from './policy.js';
import { quotasOf } from './quotas.js';

// Server groups (Nova's instance groups): their records, quotas and members. Where members run is placement's
// business (the scheduler's filters and weighers, and the hosts' claim-time checks).

const POLICY = 'os_compute_api:os-server-groups';
export const GROUP_POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] as const;

/** A group as the API shows it, with its live members. */
export interface ServerGroup extends ServerGroupRow {
  readonly members: string[];
}

const groupNotFound = (id: string) => `Instance group ${id} could not be found.`;

/** Members not deleted, and those of a boot still being recorded (no instance row yet), by group. */
async function membersOf(d: Pick<ComputeDeps, 'models'>, groups: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groups.map((g) => [g, []]));
  if (!groups.length) return out;
  const rows = await d.models.ServerGroupMember.sequelize!.query<{ group_uuid: string; instance_uuid: string }>(
    `SELECT m.group_uuid AS group_uuid, m.instance_uuid AS instance_uuid
       FROM server_group_members m LEFT JOIN instances i ON i.uuid = m.instance_uuid
      WHERE m.group_uuid IN (${groups.map(() => '?').join(', ')}) AND (i.uuid IS NULL OR i.deleted_at IS NULL)
      ORDER BY m.created_at, m.instance_uuid`,
    { replacements: [...groups], type: QueryTypes.SELECT },
  );
  for (const r of rows) out.get(r.group_uuid)?.push(r.instance_uuid);
  return out;
}

const withMembers = async (d: Pick<ComputeDeps, 'models'>, rows: ServerGroupRow[]): Promise<ServerGroup[]> => {
  const members = await membersOf(
    d,
    rows.map((r) => r.uuid),
  );
  return rows.map((r) => ({ ...r, members: members.get(r.uuid) ?? [] }));
};

export interface NewServerGroup {
  readonly name: string;
  readonly policy: string;
  readonly rules: { max_server_per_host?: number };
}

/** Nova's create: the project's group quota, checked before and again after the insert (a race loses its group). */
export async function createServerGroup(d: ComputeDeps, caller: ComputeCaller, request: NewServerGroup): Promise<ServerGroup> {
  authorize(caller, `${POLICY}:create`, 'member');
  const { server_groups: limit } = await quotasOf(d, caller.project, caller.auth.userId);
  const count = () => d.models.ServerGroup.count({ where: { project_id: caller.project } });
  const over = new ComputeFault(403, 'Quota exceeded, too many server groups.');
  if (limit >= 0 && (await count()) + 1 > limit) throw over;
  const now = new Date(d.clock.now());
  const row: ServerGroupRow = {
    uuid: randomUUID(),
    name: request.name,
    project_id: caller.project,
    user_id: caller.auth.userId,
    policy: request.policy,
    rules: JSON.stringify(request.rules),
    host: null,
    created_at: now,
    updated_at: now,
  };
  await d.models.ServerGroup.create(row);
  if (limit >= 0 && (await count()) > limit) {
    await d.models.ServerGroup.destroy({ where: { uuid: row.uuid } });
    throw over;
  }
  return { ...row, members: [] };
}

/** The caller's project's groups, or with `allProjects` (admins) every project's; Nova's offset and limit. */
export async function listServerGroups(
  d: ComputeDeps,
  caller: ComputeCaller,
  page: { allProjects: boolean; offset: number; limit: number },
): Promise<ServerGroup[]> {
  authorize(caller, `${POLICY}:index`, 'reader');
  const all = page.allProjects && caller.auth.isAdmin;
  const rows = await readRows(d.models.ServerGroup, {
    where: all ? {} : { project_id: caller.project },
    order: [
      ['created_at', 'ASC'],
      ['uuid', 'ASC'],
    ],
    offset: page.offset,
    limit: page.limit,
  });
  return withMembers(d, rows);
}

/** A group the caller may see: its project's, or any for an admin; else Nova's 404. */
async function findGroup(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<ServerGroupRow> {
  const row = await readByPk(d.models.ServerGroup, id.toLowerCase().slice(0, 36));
  if (!row || row.uuid !== id.toLowerCase()) throw notFound(groupNotFound(id));
  if (row.project_id !== caller.project && !caller.auth.isAdmin) throw notFound(groupNotFound(id));
  return row;
}

export async function showServerGroup(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<ServerGroup> {
  authorize(caller, `${POLICY}:show`, 'reader');
  return (await withMembers(d, [await findGroup(d, caller, id)]))[0];
}

/** Deleting a group leaves its servers where they are, in no group. */
export async function deleteServerGroup(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<void> {
  authorize(caller, `${POLICY}:delete`, 'member');
  const row = await findGroup(d, caller, id);
  await d.models.ServerGroup.destroy({ where: { uuid: row.uuid } });
  await d.models.ServerGroupMember.destroy({ where: { group_uuid: row.uuid } });
}

/** The group a boot's `group` hint names, checked before anything is made (Nova's 400 for an unknown one). */
export async function groupForBoot(d: ComputeDeps, caller: ComputeCaller, id: string): Promise<ServerGroupRow> {
  const row = await readByPk(d.models.ServerGroup, id.toLowerCase());
  if (!row || (row.project_id !== caller.project && !caller.auth.isAdmin)) throw badRequest(groupNotFound(id));
  return row;
}

/**
 * Records a boot's servers as the group's members before their instances exist, so that the scheduler and the hosts
 * know their group from the first placement. Over the group's member quota (counted again after the insert, so two
 * racing boots cannot both pass) nothing is kept and the boot gets Nova's 403.
 */
export async function joinGroup(d: ComputeDeps, group: ServerGroupRow, ids: readonly string[]): Promise<() => Promise<void>> {
  const { server_group_members: limit } = await quotasOf(d, group.project_id);
  const count = async () => (await membersOf(d, [group.uuid])).get(group.uuid)!.length;
  const over = new ComputeFault(403, 'Quota exceeded, too many servers in group');
  if (limit >= 0 && (await count()) + ids.length > limit) throw over;
  const now = new Date(d.clock.now());
  await d.models.ServerGroupMember.bulkCreate(ids.map((instance_uuid) => ({ instance_uuid, group_uuid: group.uuid, host: null, created_at: now })));
  const leave = async () => {
    await d.models.ServerGroupMember.destroy({ where: { instance_uuid: { [Op.in]: [...ids] } } });
  };
  if (limit >= 0 && (await count()) > limit) {
    await leave();
    throw over;
  }
  return leave;
}

/** The groups of these servers (2.71's `server_groups`), by server. */
export async function groupsOfServers(d: Pick<ComputeDeps, 'models'>, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await readRows(d.models.ServerGroupMember, { where: { instance_uuid: { [Op.in]: [...ids] } } });
  return new Map(rows.map((r) => [r.instance_uuid, r.group_uuid]));
}
