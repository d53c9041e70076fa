import { randomUUID } from 'node:crypto';
import type { NeutronSecurityGroupRuleRow } from '../../models/index.js';
import { NeutronError, invalidAttribute } from './errors.js';
import { parseCidr } from './ip.js';

// A security group rule's checks, in the order and words of Neutron's securitygroups_db.

const NAMED = [
  'ah',
  'dccp',
  'egp',
  'esp',
  'gre',
  'hopopt',
  'icmp',
  'igmp',
  'ipip',
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'icmpv6',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
  'ospf',
  'pgm',
  'rsvp',
  'sctp',
  'tcp',
  'udp',
  'udplite',
  'vrrp',
];
const PORT_PROTOCOLS = ['dccp', 'sctp', 'tcp', 'udp', 'udplite', '33', '132', '6', '17', '136'];
const ICMP_PROTOCOLS = ['icmp', 'icmpv6', 'ipv6-icmp', '1', '58'];

export interface RuleInput {
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const invalid = (type: string, message: string) => new NeutronError(400, type, `Invalid input for operation: ${message}.`);

/** The protocol as stored: a name in lower case or a number 0–255 as text; `any` and absent are none. */
export function protocolOf(value: unknown): string | null {
  if (value === null || value === undefined || value === '' || value === 'any') return null;
  const text = shown(value).toLowerCase();
  if (NAMED.includes(text) || (/^\d{1,3}$/.test(text) && Number(text) <= 255)) return text;
  throw invalid(
    'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${shown(value)} not supported. Only protocol values [${[...NAMED, 'any', null].map((p) => (p === null ? 'None' : `'${p}'`)).join(', ')}] and integer representations [0 to 255] are supported`,
  );
}

export const ethertypeOf = (value: unknown, name: string): string => {
  const text = typeof value === 'string' ? value.toLowerCase() : '';
  if (text === 'ipv4') return 'IPv4';
  if (text === 'ipv6') return 'IPv6';
  throw invalidAttribute(name, `'${shown(value)}' is not in ['IPv4', 'IPv6']`);
};

/** neutron-lib's port converter: an integer 0–65535 (or its digits), else SecurityGroupInvalidPortValue. */
export const portOf = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new NeutronError(400, 'SecurityGroupInvalidPortValue', `Invalid value for port ${shown(value)}`);
  return n;
};

/** Refuses a rule that Neutron refuses: ports without a protocol, bad ranges, ICMP values, conflicting remotes and CIDRs. */
export function checkRule(r: RuleInput): void {
  if (r.remote_ip_prefix !== null && r.remote_group_id !== null) {
    throw invalid('SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided');
  }
  const ports = r.port_range_min !== null || r.port_range_max !== null;
  if (ports && r.protocol === null) throw invalid('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given');
  if (ports && r.protocol !== null && PORT_PROTOCOLS.includes(r.protocol)) {
    for (const port of [r.port_range_min, r.port_range_max]) {
      if (port === 0) throw invalid('SecurityGroupInvalidPortValue', `Invalid value for port ${port}`);
    }
    if (r.port_range_min === null || r.port_range_max === null || r.port_range_min > r.port_range_max) {
      throw invalid('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
  } else if (ports && r.protocol !== null && ICMP_PROTOCOLS.includes(r.protocol)) {
    for (const [field, attr, value] of [
      ['type', 'port_range_min', r.port_range_min],
      ['code', 'port_range_max', r.port_range_max],
    ] as const) {
      if (value !== null && value > 255)
        throw invalid('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255`);
    }
    if (r.port_range_min === null && r.port_range_max !== null) {
      throw invalid(
        'SecurityGroupMissingIcmpType',
        `ICMP code (port-range-max) ${r.port_range_max} is provided but ICMP type (port-range-min) is missing`,
      );
    }
  } else if (ports) {
    throw invalid(
      'SecurityGroupInvalidProtocolForPort',
      `Ports cannot be specified for protocol ${r.protocol}. Ports are only supported for [${[...PORT_PROTOCOLS, ...ICMP_PROTOCOLS].map((p) => `'${p}'`).join(', ')}]`,
    );
  }
  if (r.remote_ip_prefix !== null) {
    const c = parseCidr(r.remote_ip_prefix);
    if (c && `IPv${c.version}` !== r.ethertype) {
      throw invalid('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${r.ethertype} for CIDR ${r.remote_ip_prefix}`);
    }
  }
  if (r.ethertype === 'IPv4' && r.protocol !== null && ['icmpv6', 'ipv6-icmp', '58'].includes(r.protocol)) {
    throw invalid('SecurityGroupEthertypeConflictWithProtocol', `Invalid ethertype IPv4 for protocol ${r.protocol}`);
  }
}

/** Whether two rules say the same thing (Neutron refuses the second as SecurityGroupRuleExists). */
export const sameRule = (a: RuleInput, b: RuleInput) =>
  (['direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id'] as const).every(
    (k) => (a[k] ?? null) === (b[k] ?? null) || (k.startsWith('port') && Number(a[k]) === Number(b[k]) && a[k] !== null && b[k] !== null),
  );

export const ruleRow = (project: string, r: RuleInput, at: Date): NeutronSecurityGroupRuleRow => ({
  id: randomUUID(),
  project_id: project,
  ...r,
  revision_number: 1,
  created_at: at,
  updated_at: at,
});

/** The rules Neutron gives a new group: all egress; the default group also takes ingress from its own members. */
export function initialRules(groupId: string, isDefault: boolean): RuleInput[] {
  const rule = (direction: string, ethertype: string, remote: string | null): RuleInput => ({
    security_group_id: groupId,
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: remote,
    description: '',
  });
  const egress = [rule('egress', 'IPv4', null), rule('egress', 'IPv6', null)];
  return isDefault ? [...egress, rule('ingress', 'IPv4', groupId), rule('ingress', 'IPv6', groupId)] : egress;
}
