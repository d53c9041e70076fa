import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { DataPlaneNames } from './names.js';
import type { DataPlanePlan, PortPlan, SecurityGroupPlan, SecurityGroupRulePlan } from './plan.js';

/**
 * The nftables rules of a cloud's ports, as two tables in its host namespace:
 *
 * - `bridge stratus-<id>` sees every frame a guest sends before the bridge forwards it: a guest may send only
 *   from its MAC and addresses (and its allowed address pairs), never as a DHCP server or a router advertising;
 *   what passes is marked with the port's number in the mark's upper half. On the way out a frame is marked with
 *   its destination port's number in the lower half.
 * - `inet stratus-<id>` sees the same packets as IP (br_netfilter) with conntrack, which the bridge family lacks
 *   in this kernel; it applies the sender's egress rules and the receiver's ingress rules, found by the marks
 *   (in the inet family the interfaces are the bridge's, not the ports').
 *
 * Every drop of a port is counted by a named counter `drop-<port id>`. Each table carries a digest of its text,
 * so a reconcile replaces a table only when it would change.
 */
export interface RenderedRules {
  readonly bridge: string;
  readonly inet: string;
  readonly digests: { readonly bridge: string; readonly inet: string };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROTOCOLS: Readonly<Record<string, number>> = {
  tcp: 6,
  udp: 17,
  icmp: 1,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
  udplite: 136,
  dccp: 33,
  gre: 47,
};
const WITH_PORTS = new Set([6, 17, 33, 132, 136]);
export const MAX_PORTS = 0xffff;

export const counterName = (portId: string) => `drop-${portId.toLowerCase()}`;
const groupSet = (groupId: string, family: 4 | 6) => `sg-${groupId.toLowerCase()}-${family}`;

/** An address or a CIDR of the given family, else undefined (never rendered: what the tables hold is not trusted as text). */
function prefixOf(text: string, family: 4 | 6): string | undefined {
  const [address, length, ...rest] = text.split('/');
  if (rest.length || isIP(address ?? '') !== family) return undefined;
  if (length === undefined) return address;
  const bits = Number(length);
  return /^\d{1,3}$/.test(length) && bits <= (family === 4 ? 32 : 128) ? `${address}/${bits}` : undefined;
}

/** The IPv6 link-local address made from a MAC (EUI-64), which a guest uses before it has any other. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const words = [(b[0] ^ 2) * 256 + b[1], b[2] * 256 + 0xff, 0xfe00 + b[3], b[4] * 256 + b[5]];
  return `fe80::${words.map((w) => w.toString(16)).join(':')}`;
}

const set = (items: readonly string[]) => `{ ${items.join(', ')} }`;

/** The port's own addresses and MACs and those of its allowed address pairs, in each family. */
function sources(port: PortPlan) {
  const macs = new Set([port.mac.toLowerCase()]);
  const v4 = new Set<string>();
  const v6 = new Set<string>([linkLocalOf(port.mac)]);
  for (const ip of port.ips) {
    const a4 = prefixOf(ip, 4);
    if (a4) v4.add(a4);
    const a6 = prefixOf(ip, 6);
    if (a6) v6.add(a6);
  }
  for (const pair of port.allowedAddressPairs) {
    const mac = (pair.mac_address ?? port.mac).toLowerCase();
    if (!MAC.test(mac)) continue;
    const a4 = prefixOf(pair.ip_address, 4);
    const a6 = prefixOf(pair.ip_address, 6);
    if (!a4 && !a6) continue;
    macs.add(mac);
    if (a4) v4.add(a4);
    if (a6) v6.add(a6);
  }
  return { macs: [...macs].sort(), v4: [...v4].sort(), v6: [...v6].sort() };
}

function antiSpoofChain(port: PortPlan, n: number): string[] {
  const drop = `counter name "${counterName(port.id)}" drop`;
  const { macs, v4, v6 } = sources(port);
  const lines = [
    `ether saddr != ${set(macs)} ${drop}`,
    `ether type arp arp saddr ether != ${set(macs)} ${drop}`,
    // ARP probes (RFC 5227) come from 0.0.0.0.
    `ether type arp arp saddr ip != ${set(['0.0.0.0', ...v4])} ${drop}`,
    `ether type ip udp sport 67 ${drop}`,
    `ether type ip6 udp sport 547 ${drop}`,
    `ether type ip6 icmpv6 type { nd-router-advert, nd-redirect } ${drop}`,
    // A DHCP client has no address yet.
    `ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 meta mark set ${hexMark(n << 16)} return`,
    v4.length ? `ether type ip ip saddr != ${set(v4)} ${drop}` : `ether type ip ${drop}`,
    // Duplicate address detection comes from the unspecified address.
    `ether type ip6 ip6 saddr != ${set(['::', ...v6])} ${drop}`,
    `ether type != { ip, ip6, arp } ${drop}`,
    `meta mark set ${hexMark(n << 16)}`,
  ];
  return lines;
}

const hexMark = (value: number) => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

/** One security group rule as an nftables match, or undefined when it cannot be expressed safely (it then allows nothing). */
export function ruleMatch(rule: SecurityGroupRulePlan): string | undefined {
  const family = rule.ethertype === 'IPv6' ? 6 : 4;
  const parts = [family === 4 ? 'meta nfproto ipv4' : 'meta nfproto ipv6'];
  const ipKey = family === 4 ? 'ip' : 'ip6';
  const side = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  if (rule.remoteIpPrefix !== null) {
    const prefix = prefixOf(rule.remoteIpPrefix, family);
    if (!prefix) return undefined;
    parts.push(`${ipKey} ${side} ${prefix}`);
  }
  if (rule.remoteGroupId !== null) {
    if (!UUID.test(rule.remoteGroupId)) return undefined;
    parts.push(`${ipKey} ${side} @${groupSet(rule.remoteGroupId, family)}`);
  }
  if (rule.protocol !== null && rule.protocol !== 'any') {
    const number = /^\d{1,3}$/.test(rule.protocol) ? Number(rule.protocol) : PROTOCOLS[rule.protocol.toLowerCase()];
    if (number === undefined || number > 255) return undefined;
    parts.push(`meta l4proto ${number}`);
    const { portRangeMin: min, portRangeMax: max } = rule;
    if (WITH_PORTS.has(number) && min !== null) {
      if (!Number.isInteger(min) || min < 0 || min > 65535) return undefined;
      const top = max ?? min;
      if (!Number.isInteger(top) || top < min || top > 65535) return undefined;
      parts.push(top === min ? `th dport ${min}` : `th dport ${min}-${top}`);
    } else if ((number === 1 || number === 58) && min !== null) {
      if (!Number.isInteger(min) || min < 0 || min > 255) return undefined;
      const icmp = number === 1 ? 'icmp' : 'icmpv6';
      if ((family === 4) !== (number === 1)) return undefined;
      parts.push(`${icmp} type ${min}`);
      if (max !== null) {
        if (!Number.isInteger(max) || max < 0 || max > 255) return undefined;
        parts.push(`${icmp} code ${max}`);
      }
    }
  }
  return parts.join(' ');
}

function securityChains(port: PortPlan, groups: ReadonlyMap<string, SecurityGroupPlan>) {
  const rules = port.securityGroups.flatMap((id) => groups.get(id)?.rules ?? []);
  const matches = (direction: 'ingress' | 'egress') =>
    [
      ...new Set(
        rules
          .filter((r) => r.direction === direction)
          .map(ruleMatch)
          .filter((m): m is string => m !== undefined),
      ),
    ].sort();
  const drop = `counter name "${counterName(port.id)}" drop`;
  const egress = [
    'ct state established,related return',
    'ct state invalid ' + drop,
    // DHCP and neighbour discovery are the port's plumbing, whatever its groups say (as Neutron's base rules).
    'meta nfproto ipv4 udp sport 68 udp dport 67 return',
    'meta nfproto ipv6 udp sport 546 udp dport 547 return',
    'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } return',
    ...matches('egress').map((m) => `${m} return`),
    drop,
  ];
  const ingress = [
    'ct state established,related accept',
    'ct state invalid ' + drop,
    'meta nfproto ipv4 udp sport 67 udp dport 68 accept',
    'meta nfproto ipv6 udp sport 547 udp dport 546 accept',
    'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, mld-listener-query } accept',
    ...matches('ingress').map((m) => `${m} accept`),
    drop,
  ];
  return { egress, ingress };
}

const block = (name: string, lines: readonly string[]) => [`  chain ${name} {`, ...lines.map((l) => `    ${l}`), '  }'];

export function renderRules(plan: DataPlanePlan, names: DataPlaneNames): RenderedRules {
  const secured = plan.ports.filter((p) => p.portSecurity && MAC.test(p.mac) && UUID.test(p.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  if (secured.length > MAX_PORTS) throw new Error(`at most ${MAX_PORTS} ports with port security per machine`);
  const groups = new Map(plan.securityGroups.filter((g) => UUID.test(g.id)).map((g) => [g.id, g]));
  const counters = [...new Set(plan.ports.filter((p) => UUID.test(p.id)).map((p) => counterName(p.id)))].sort();

  const bridge: string[] = [];
  const inet: string[] = [];
  for (const name of counters) {
    bridge.push(`  counter ${name} { }`);
    inet.push(`  counter ${name} { }`);
  }
  const referenced = new Set<string>();
  for (const port of secured)
    for (const id of port.securityGroups) for (const r of groups.get(id)?.rules ?? []) if (r.remoteGroupId) referenced.add(r.remoteGroupId);
  for (const id of [...referenced].sort()) {
    if (!UUID.test(id)) continue;
    const members = groups.get(id)?.members ?? [];
    for (const family of [4, 6] as const) {
      const elements = [...new Set(members.map((m) => prefixOf(m, family)).filter((m): m is string => m !== undefined && !m.includes('/')))].sort();
      inet.push(`  set ${groupSet(id, family)} {`, `    type ${family === 4 ? 'ipv4_addr' : 'ipv6_addr'}`);
      if (elements.length) inet.push(`    elements = ${set(elements)}`);
      inet.push('  }');
    }
  }

  const inPorts: string[] = ['type filter hook prerouting priority -300; policy accept;'];
  const outPorts: string[] = ['type filter hook forward priority -300; policy accept;'];
  const forward: string[] = ['type filter hook forward priority 0; policy accept;'];
  secured.forEach((port, i) => {
    const n = i + 1;
    const dev = names.iface('port', port.id);
    inPorts.push(`iifname "${dev}" jump from-${n}`);
    outPorts.push(`oifname "${dev}" meta mark set meta mark | ${hexMark(n)}`);
    bridge.push(...block(`from-${n}`, antiSpoofChain(port, n)));
    forward.push(`meta mark & 0xffff0000 == ${hexMark(n << 16)} jump egress-${n}`);
    forward.push(`meta mark & 0x0000ffff == ${hexMark(n)} jump ingress-${n}`);
    const chains = securityChains(port, groups);
    inet.push(...block(`egress-${n}`, chains.egress), ...block(`ingress-${n}`, chains.ingress));
  });
  bridge.push(...block('ports_in', inPorts), ...block('ports_out', outPorts));
  inet.push(...block('ports', forward));

  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  const bridgeBody = bridge.join('\n');
  const inetBody = inet.join('\n');
  const digests = { bridge: digest(bridgeBody), inet: digest(inetBody) };
  return {
    bridge: `table bridge ${names.table} {\n  comment "stratus ${digests.bridge}"\n${bridgeBody}\n}\n`,
    inet: `table inet ${names.table} {\n  comment "stratus ${digests.inet}"\n${inetBody}\n}\n`,
    digests,
  };
}
