import { Op } from 'sequelize';
import type { FlavorRow, Models } from '../../models/index.js';
import { readRow, readRows } from '../../models/typed.js';

// Booleans as the databases hand them back: `true`, or `1` from SQLite.
const dbBool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Who looks at flavors: admins see every flavor, a project the public ones and those it was given. */
export interface FlavorViewer {
  readonly isAdmin: boolean;
  readonly projectId?: string;
}

/** The live flavor with Nova's flavorid `id`, if the viewer may see it (Nova's FlavorNotFound otherwise). */
export async function findFlavor(d: { models: Models }, id: string, viewer: FlavorViewer): Promise<FlavorRow | undefined> {
  const row = await readRow(d.models.Flavor, { where: { id, deleted_at: null } });
  if (!row) return undefined;
  if (viewer.isAdmin || dbBool(row.is_public)) return row;
  const access = viewer.projectId ? await d.models.FlavorProject.count({ where: { flavor_id: id, project_id: viewer.projectId } }) : 0;
  return access ? row : undefined;
}

/** Each flavor's extra specs, keyed by flavor id (every id present, most with none). */
export async function extraSpecsOf(d: { models: Models }, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const specs = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
  if (!ids.length) return specs;
  const rows = await readRows(d.models.FlavorExtraSpec, { where: { flavor_id: { [Op.in]: ids } }, order: [['key', 'ASC']] });
  for (const r of rows) specs.get(r.flavor_id)![r.key] = r.value;
  return specs;
}
