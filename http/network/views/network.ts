import type { NeutronNetworkRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import { json } from '../services.js';
import { standard } from './common.js';

/** A network as Neutron shows it, with the ids of its subnets. */
export const networkView = (row: NeutronNetworkRow, subnets: readonly string[]) => ({
  id: row.id,
  name: row.name,
  admin_state_up: dbBool(row.admin_state_up),
  status: row.status,
  subnets: [...subnets],
  shared: dbBool(row.shared),
  'router:external': dbBool(row.external),
  is_default: dbBool(row.is_default),
  mtu: Number(row.mtu),
  port_security_enabled: dbBool(row.port_security_enabled),
  availability_zone_hints: json<string[]>(row.availability_zone_hints),
  availability_zones: [] as string[],
  ipv4_address_scope: null,
  ipv6_address_scope: null,
  l2_adjacency: true,
  ...standard(row),
});
