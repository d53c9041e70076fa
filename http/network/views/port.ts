import type { NeutronPortRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import type { FixedIp } from '../ipam.js';
import { json } from '../services.js';
import { standard } from './common.js';

/** A port as Neutron shows it; the binding attributes only to admins, as Neutron's policy strips them for others. */
export function portView(row: NeutronPortRow, fixedIps: readonly FixedIp[], admin: boolean) {
  const host = row.binding_host_id;
  return {
    id: row.id,
    name: row.name,
    network_id: row.network_id,
    mac_address: row.mac_address,
    admin_state_up: dbBool(row.admin_state_up),
    status: row.status,
    device_id: row.device_id,
    device_owner: row.device_owner,
    fixed_ips: fixedIps.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    allowed_address_pairs: json<Array<{ ip_address: string; mac_address: string }>>(row.allowed_address_pairs),
    security_groups: json<string[]>(row.security_groups),
    port_security_enabled: dbBool(row.port_security_enabled),
    ip_allocation: 'immediate',
    ...(admin
      ? {
          'binding:host_id': host,
          'binding:vif_type': host ? 'other' : 'unbound',
          'binding:vif_details': {},
          'binding:vnic_type': 'normal',
          'binding:profile': {},
        }
      : { 'binding:vnic_type': 'normal' }),
    ...standard(row),
  };
}
