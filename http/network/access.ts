import { Op, literal, type WhereOptions } from 'sequelize';
import type { NeutronNetworkRow, NeutronPortRow, NeutronSubnetRow } from '../../models/index.js';
import { readByPk } from '../../models/typed.js';
import { dbBool } from '../db-values.js';
import type { AuthContext } from '../identity/index.js';
import { notFound } from './errors.js';
import { reads } from './policy.js';
import type { NetworkServices } from './services.js';

// Who sees what, as Neutron's default policy decides: a project its own resources; every project the shared
// and the external networks, and the subnets of shared networks; a network's owner the ports and subnets on it.

export const networkVisible = (auth: AuthContext, row: NeutronNetworkRow) =>
  reads(auth, row.project_id) || dbBool(row.shared) || dbBool(row.external);

export function visibleNetworks(auth: AuthContext): WhereOptions | undefined {
  if (auth.isAdmin) return undefined;
  return { [Op.or]: [{ project_id: auth.projectId ?? '' }, { shared: true }, { external: true }] };
}

/** Networks whose subnets the caller sees, or on which it owns the ports, as an SQL subquery. */
const networksWhere = (s: NetworkServices, auth: AuthContext, shared: boolean) => {
  const q = s.models.NeutronNetwork.sequelize!.escape(auth.projectId ?? '');
  return literal(`(SELECT id FROM neutron_networks WHERE project_id = ${q}${shared ? ' OR shared = true' : ''})`);
};

export function visibleSubnets(s: NetworkServices, auth: AuthContext): WhereOptions | undefined {
  if (auth.isAdmin) return undefined;
  return { [Op.or]: [{ project_id: auth.projectId ?? '' }, { network_id: { [Op.in]: networksWhere(s, auth, true) } }] };
}

export function visiblePorts(s: NetworkServices, auth: AuthContext): WhereOptions | undefined {
  if (auth.isAdmin) return undefined;
  return { [Op.or]: [{ project_id: auth.projectId ?? '' }, { network_id: { [Op.in]: networksWhere(s, auth, false) } }] };
}

export async function findNetwork(s: NetworkServices, auth: AuthContext, id: string): Promise<NeutronNetworkRow> {
  const row = await readByPk(s.models.NeutronNetwork, id);
  if (!row || !networkVisible(auth, row)) throw notFound('NetworkNotFound', `Network ${id} could not be found.`);
  return row;
}

export async function subnetVisible(s: NetworkServices, auth: AuthContext, row: NeutronSubnetRow): Promise<boolean> {
  if (reads(auth, row.project_id)) return true;
  const network = await readByPk(s.models.NeutronNetwork, row.network_id);
  return !!network && (dbBool(network.shared) || reads(auth, network.project_id));
}

export async function findSubnet(s: NetworkServices, auth: AuthContext, id: string): Promise<NeutronSubnetRow> {
  const row = await readByPk(s.models.NeutronSubnet, id);
  if (!row || !(await subnetVisible(s, auth, row))) throw notFound('SubnetNotFound', `Subnet ${id} could not be found.`);
  return row;
}

export async function portVisible(s: NetworkServices, auth: AuthContext, row: NeutronPortRow): Promise<boolean> {
  if (reads(auth, row.project_id)) return true;
  const network = await readByPk(s.models.NeutronNetwork, row.network_id);
  return !!network && reads(auth, network.project_id);
}

export async function findPort(s: NetworkServices, auth: AuthContext, id: string): Promise<NeutronPortRow> {
  const row = await readByPk(s.models.NeutronPort, id);
  if (!row || !(await portVisible(s, auth, row))) throw notFound('PortNotFound', `Port ${id} could not be found.`);
  return row;
}
