import { Op } from 'sequelize';
import type { HostRow, InstanceRow } from '../../models/index.js';
import type { RequestOptions } from '../../runtime/client.js';
import { computeActors, type InstanceClient } from '../../services/compute/actors.js';
import { findServer as findServerFor, instanceNotFound } from '../../services/compute/servers.js';
import { NovaFault } from './errors.js';
import type { ComputeContext, ComputeServices } from './services.js';

export { instanceNotFound };

/** The server, if the caller may see it (the compute service's rule); else Nova's 404. */
export const findServer = (s: ComputeServices, ctx: ComputeContext, id: string, options: { attributes?: Array<keyof InstanceRow>; deleted?: boolean } = {}) =>
  findServerFor(s, ctx.state, id, options);

/**
 * Asks a server's instance actor to change it. A refusal carrying a status is Nova's fault with
 * that status and message (a locked server's 409, a full metadata set's 403); a missing or
 * deleted instance is Nova's 404.
 */
export async function askInstance<R>(s: ComputeServices, ctx: ComputeContext, id: string,
  ask: (instance: InstanceClient, options: RequestOptions) => Promise<R>): Promise<R> {
  try {
    return await ask(computeActors(s.actors).instance(id), { correlationId: ctx.state.correlationId });
  } catch (error) {
    const e = error as { code?: string; message?: string; details?: { status?: number } };
    if (e.code === 'rejected' && e.details?.status) throw new NovaFault(e.details.status, e.message ?? '');
    if (e.code === 'rejected') throw instanceNotFound(id);
    throw error;
  }
}

/** Hosts by name, for the views' host_status. */
export async function hostsByName(s: ComputeServices, names: Iterable<string | null>): Promise<Map<string, HostRow>> {
  const wanted = [...new Set([...names].filter((n): n is string => Boolean(n)))];
  if (!wanted.length) return new Map();
  const rows = await s.models.Host.findAll({ where: { name: { [Op.in]: wanted } }, raw: true }) as unknown as HostRow[];
  return new Map(rows.map((h) => [h.name, h]));
}
