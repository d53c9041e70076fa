import { Op } from 'sequelize';
import type { HostRow, InstanceRow } from '../../models/index.js';
import { ref } from '../../runtime/ref.js';
import { NovaFault, notFound } from './errors.js';
import type { ComputeContext, ComputeServices } from './services.js';

export const instanceNotFound = (id: string) => notFound(`Instance ${id} could not be found.`);

/**
 * The server if the caller's project owns it (admins: any), not deleted unless `deleted` says so;
 * else Nova's 404. `attributes` reads only those columns (`project_id` among them).
 */
export async function findServer(s: ComputeServices, ctx: ComputeContext, id: string,
  options: { attributes?: Array<keyof InstanceRow>; deleted?: boolean } = {}): Promise<InstanceRow> {
  const where = options.deleted ? { uuid: id } : { uuid: id, deleted_at: null };
  const row = await s.models.Instance.findOne({ where, attributes: options.attributes, raw: true }) as InstanceRow | null;
  if (!row || (!ctx.state.auth.isAdmin && row.project_id !== ctx.state.project)) throw instanceNotFound(id);
  return row;
}

/**
 * Asks a server's instance actor to change it. A refusal carrying a status is Nova's fault with
 * that status and message (a locked server's 409, a full metadata set's 403); a missing or
 * deleted instance is Nova's 404.
 */
export async function askInstance<R>(s: ComputeServices, ctx: ComputeContext, id: string, type: string, payload: unknown): Promise<R> {
  try {
    return await s.actors.ask<R>(ref('instance', id), type, payload, { correlationId: ctx.state.correlationId });
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
