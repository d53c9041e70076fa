import type { NeutronSubnetRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import { json } from '../services.js';
import { standard } from './common.js';

export interface Pool {
  start: string;
  end: string;
}
export interface HostRoute {
  destination: string;
  nexthop: string;
}

/** A subnet as Neutron shows it. */
export const subnetView = (row: NeutronSubnetRow) => ({
  id: row.id,
  name: row.name,
  network_id: row.network_id,
  ip_version: Number(row.ip_version),
  cidr: row.cidr,
  gateway_ip: row.gateway_ip,
  allocation_pools: json<Pool[]>(row.allocation_pools),
  enable_dhcp: dbBool(row.enable_dhcp),
  dns_nameservers: json<string[]>(row.dns_nameservers),
  host_routes: json<HostRoute[]>(row.host_routes),
  ipv6_ra_mode: row.ipv6_ra_mode,
  ipv6_address_mode: row.ipv6_address_mode,
  subnetpool_id: null,
  service_types: [] as string[],
  segment_id: null,
  ...standard(row),
});
