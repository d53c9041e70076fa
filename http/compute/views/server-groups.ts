import type { InstanceRow } from '../../../models/index.js';
import { groupsOfServers } from '../../../services/compute/server-groups.js';
import type { Microversion } from '../microversion.js';
import type { ComputeServices } from '../services.js';
import type { ViewContext } from './server.js';

/** The groups of the servers a show or update answers with, from 2.71 (lists leave them out, as Nova does). */
export async function serverGroupsView(
  s: ComputeServices,
  v: Microversion,
  shape: ViewContext['shape'],
  rows: readonly InstanceRow[],
): Promise<Pick<ViewContext, 'serverGroups'>> {
  if (shape === 'detail' || !v.atLeast('2.71')) return {};
  const groups = await groupsOfServers(
    s,
    rows.map((r) => r.uuid),
  );
  return { serverGroups: (uuid) => (groups.has(uuid) ? [groups.get(uuid)!] : []) };
}
