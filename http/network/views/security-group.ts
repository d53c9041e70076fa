import type { NeutronSecurityGroupRow, NeutronSecurityGroupRuleRow } from '../../../models/index.js';
import { dbBool } from '../../db-values.js';
import { parseCidr, formatIp } from '../ip.js';
import { standard } from './common.js';

const normalized = (prefix: string | null) => {
  const c = prefix ? parseCidr(prefix) : undefined;
  return c ? `${formatIp(c.version, c.network)}/${c.prefix}` : null;
};

/** A security group rule as Neutron shows it. */
export const ruleView = (row: NeutronSecurityGroupRuleRow, inDefault: boolean) => ({
  id: row.id,
  security_group_id: row.security_group_id,
  direction: row.direction,
  ethertype: row.ethertype,
  protocol: row.protocol,
  port_range_min: row.port_range_min === null ? null : Number(row.port_range_min),
  port_range_max: row.port_range_max === null ? null : Number(row.port_range_max),
  remote_ip_prefix: row.remote_ip_prefix,
  normalized_cidr: normalized(row.remote_ip_prefix),
  remote_group_id: row.remote_group_id,
  remote_address_group_id: null,
  belongs_to_default_sg: inDefault,
  ...standard(row),
});

/** A security group as Neutron shows it, with its rules. */
export const groupView = (row: NeutronSecurityGroupRow, rules: readonly NeutronSecurityGroupRuleRow[], isDefault: boolean) => ({
  id: row.id,
  name: row.name,
  stateful: dbBool(row.stateful),
  shared: false,
  security_group_rules: rules.map((r) => ruleView(r, isDefault)),
  ...standard(row),
});
