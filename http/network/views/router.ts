import type { NeutronFloatingIpRow, NeutronRouterRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import type { FixedIp } from '../ipam.js';
import { standard } from './common.js';

/** A router as Neutron shows it; its gateway's addresses come from the gateway port. */
export const routerView = (row: NeutronRouterRow, gatewayIps: readonly FixedIp[]) => ({
  id: row.id,
  name: row.name,
  admin_state_up: dbBool(row.admin_state_up),
  status: row.status,
  external_gateway_info: row.gateway_network_id
    ? { network_id: row.gateway_network_id, enable_snat: dbBool(row.enable_snat), external_fixed_ips: gatewayIps.map((f) => ({ ...f })) }
    : null,
  routes: [] as unknown[],
  availability_zone_hints: [] as string[],
  availability_zones: [] as string[],
  ...standard(row),
});

/** A floating IP as Neutron shows it. */
export const floatingIpView = (row: NeutronFloatingIpRow) => ({
  id: row.id,
  floating_ip_address: row.floating_ip_address,
  floating_network_id: row.floating_network_id,
  router_id: row.router_id,
  port_id: row.port_id,
  fixed_ip_address: row.fixed_ip_address,
  status: row.status,
  ...standard(row),
});
