import { Op, Transaction } from 'sequelize';
import type { FlavorExtraSpecRow, FlavorProjectRow, FlavorRow } from '../../models/index.js';
import { dbBool } from '../db-values.js';
import { notFound } from './errors.js';
import type { ComputeContext, ComputeServices } from './services.js';

/** Who looks at flavors: admins see every flavor, a project the public ones and those it was given. */
export interface FlavorViewer { readonly isAdmin: boolean; readonly projectId?: string }

/** The live flavor with Nova's flavorid `id`, if the viewer may see it (Nova's FlavorNotFound otherwise). */
export async function findFlavor(s: ComputeServices, id: string, viewer: FlavorViewer): Promise<FlavorRow | undefined> {
  const row = await s.models.Flavor.findOne({ where: { id, deleted_at: null }, raw: true }) as FlavorRow | null;
  if (!row) return undefined;
  if (viewer.isAdmin || dbBool(row.is_public)) return row;
  const access = viewer.projectId ? await s.models.FlavorProject.count({ where: { flavor_id: id, project_id: viewer.projectId } }) : 0;
  return access ? row : undefined;
}

/** The flavor the request's path names (`:id`), if the caller may see it; else Nova's 404. */
export async function flavorInPath(s: ComputeServices, ctx: ComputeContext): Promise<FlavorRow> {
  const flavor = await findFlavor(s, ctx.params.id, { isAdmin: ctx.state.auth.isAdmin, projectId: ctx.state.project });
  if (!flavor) throw notFound(`Flavor ${ctx.params.id} could not be found.`);
  return flavor;
}

/** The ids of the private flavors a project was given access to. */
export async function flavorsOpenTo(s: ComputeServices, projectId: string | undefined): Promise<Set<string>> {
  if (!projectId) return new Set();
  const rows = await s.models.FlavorProject.findAll({ where: { project_id: projectId }, attributes: ['flavor_id'], raw: true }) as unknown as FlavorProjectRow[];
  return new Set(rows.map((r) => r.flavor_id));
}

/** Each flavor's extra specs, keyed by flavor id (every id present, most with none). */
export async function extraSpecsOf(s: ComputeServices, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const specs = new Map(ids.map((id) => [id, {} as Record<string, string>]));
  if (!ids.length) return specs;
  const rows = await s.models.FlavorExtraSpec.findAll({ where: { flavor_id: { [Op.in]: ids } }, order: [['key', 'ASC']], raw: true }) as unknown as FlavorExtraSpecRow[];
  for (const r of rows) specs.get(r.flavor_id)![r.key] = r.value;
  return specs;
}

/** The projects given access to a flavor, by id. */
export async function flavorProjects(s: ComputeServices, id: string): Promise<string[]> {
  const rows = await s.models.FlavorProject.findAll({ where: { flavor_id: id }, order: [['project_id', 'ASC']], raw: true }) as unknown as FlavorProjectRow[];
  return rows.map((r) => r.project_id);
}

/**
 * A transaction that writes after it reads. On SQLite it takes the write lock up front: a
 * deferred one that reads first fails at once (SQLITE_BUSY) when the runtime wrote meanwhile.
 */
export function writeTransaction<T>(s: ComputeServices, fn: (transaction: Transaction) => Promise<T>): Promise<T> {
  const sequelize = s.models.Flavor.sequelize!;
  const type = sequelize.getDialect() === 'sqlite' ? Transaction.TYPES.IMMEDIATE : undefined;
  return sequelize.transaction({ type }, fn);
}
