import { Transaction } from 'sequelize';
import type { FlavorRow } from '../../models/index.js';
import { extraSpecsOf, findFlavor, type FlavorViewer } from '../../services/compute/flavors.js';
import { notFound } from './errors.js';
import type { ComputeContext, ComputeServices } from './services.js';
import { readRows } from '../../models/typed.js';

// The lookups the compute service makes too live there; the API's own reads follow.
export { extraSpecsOf, findFlavor, type FlavorViewer };

/** The flavor the request's path names (`:id`), if the caller may see it; else Nova's 404. */
export async function flavorInPath(s: ComputeServices, ctx: ComputeContext): Promise<FlavorRow> {
  const flavor = await findFlavor(s, ctx.params.id, { isAdmin: ctx.state.auth.isAdmin, projectId: ctx.state.project });
  if (!flavor) throw notFound(`Flavor ${ctx.params.id} could not be found.`);
  return flavor;
}

/** The ids of the private flavors a project was given access to. */
export async function flavorsOpenTo(s: ComputeServices, projectId: string | undefined): Promise<Set<string>> {
  if (!projectId) return new Set();
  const rows = await readRows(s.models.FlavorProject, { where: { project_id: projectId }, attributes: ['flavor_id'] });
  return new Set(rows.map((r) => r.flavor_id));
}

/** The projects given access to a flavor, by id. */
export async function flavorProjects(s: ComputeServices, id: string): Promise<string[]> {
  const rows = await readRows(s.models.FlavorProject, { where: { flavor_id: id }, order: [['project_id', 'ASC']] });
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
