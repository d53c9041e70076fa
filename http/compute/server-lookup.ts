import { Op } from 'sequelize';
import type { HostRow, InstanceRow } from '../../models/index.js';
import type { RequestOptions } from '../../runtime/client.js';
import { computeActors, type InstanceClient } from '../../services/compute/actors.js';
import { findServer as findServerFor, instanceNotFound, instanceRefusal } from '../../services/compute/servers.js';
import type { ComputeContext, ComputeServices } from './services.js';
import { readRows } from '../../models/typed.js';

export { instanceNotFound };

/** The server, if the caller may see it (the compute service's rule); else Nova's 404. */
export const findServer = (
  s: ComputeServices,
  ctx: ComputeContext,
  id: string,
  options: { attributes?: Array<keyof InstanceRow>; deleted?: boolean } = {},
) => findServerFor(s, ctx.state, id, options);

/** Asks a server's instance actor to change it; its refusals are the compute service's faults (instanceRefusal). */
export async function askInstance<R>(
  s: ComputeServices,
  ctx: ComputeContext,
  id: string,
  ask: (instance: InstanceClient, options: RequestOptions) => Promise<R>,
): Promise<R> {
  try {
    return await ask(computeActors(s.actors).instance(id), { correlationId: ctx.state.correlationId });
  } catch (error) {
    throw instanceRefusal(error, id);
  }
}

/** Hosts by name, for the views' host_status. */
export async function hostsByName(s: ComputeServices, names: Iterable<string | null>): Promise<Map<string, HostRow>> {
  const wanted = [...new Set([...names].filter((n): n is string => Boolean(n)))];
  if (!wanted.length) return new Map();
  const rows = await readRows(s.models.Host, { where: { name: { [Op.in]: wanted } } });
  return new Map(rows.map((h) => [h.name, h]));
}
