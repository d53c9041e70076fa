import { NeutronError, conflict, invalidAttribute, invalidInput } from './errors.js';
import { contains, formatIp, overlaps, parseCidr, parseIp, usableRange, type Cidr } from './ip.js';
import type { HostRoute, Pool } from './views/subnet.js';

/** Neutron's max_dns_nameservers and max_subnet_host_routes. */
export const MAX_DNS_NAMESERVERS = 5;
export const MAX_HOST_ROUTES = 20;

/** A subnet's CIDR checked as Neutron checks it: a network address of the stated version, prefix not 0. */
export function subnetCidrOf(text: string, version: number): Cidr {
  const c = parseCidr(text)!;
  if (c.version !== version) throw invalidInput(`cidr '${text}' does not match the ip_version '${version}'`);
  const recommended = `${formatIp(c.version, c.network)}/${c.prefix}`;
  if (c.address !== c.network) throw invalidAttribute('cidr', `'${text}' isn't a recognized IP subnet cidr, '${recommended}' is recommended`);
  if (c.prefix === 0) throw invalidInput('0 is not allowed as CIDR prefix length');
  return c;
}

/** The CIDR as Neutron stores it (canonical text). */
export const cidrString = (c: Cidr) => `${formatIp(c.version, c.network)}/${c.prefix}`;

/** The default gateway: the first address after the network's. */
export const defaultGateway = (c: Cidr): string => formatIp(c.version, c.network + 1n);

export function gatewayOf(value: string | null, c: Cidr): string | null {
  if (value === null) return null;
  const ip = parseIp(value)!;
  if (ip.version !== c.version) throw invalidInput(`gateway_ip '${value}' does not match the ip_version '${c.version}'`);
  if (contains(c, ip.version, ip.value)) {
    const { first, last } = usableRange(c);
    if (ip.value < first || ip.value > last) throw invalidInput(`Gateway is not valid on subnet`);
  }
  return formatIp(ip.version, ip.value);
}

/** The pools a subnet hands addresses out of when none is given: its usable range less the gateway. */
export function defaultPools(c: Cidr, gateway: string | null): Pool[] {
  const { first, last } = usableRange(c);
  const g = gateway ? parseIp(gateway)!.value : undefined;
  const ranges: Array<[bigint, bigint]> =
    g !== undefined && g >= first && g <= last
      ? [
          [first, g - 1n],
          [g + 1n, last],
        ]
      : [[first, last]];
  return ranges.filter(([a, b]) => a <= b).map(([a, b]) => ({ start: formatIp(c.version, a), end: formatIp(c.version, b) }));
}

const poolText = (p: Pool) => `${p.start}-${p.end}`;

/** Given pools checked as Neutron's validate_allocation_pools does, and against the gateway. */
export function checkPools(given: unknown[], c: Cidr, cidrText: string, gateway: string | null): Pool[] {
  const { first, last } = usableRange(c);
  const pools = given.map((raw) => {
    const p = raw as { start?: unknown; end?: unknown };
    const start = typeof p.start === 'string' ? parseIp(p.start) : undefined;
    const end = typeof p.end === 'string' ? parseIp(p.end) : undefined;
    const shown = `${String(p.start)}-${String(p.end)}`;
    if (!start || !end || start.value > end.value) throw invalidPool(shown);
    if (start.version !== c.version || end.version !== c.version) throw invalidPool(shown);
    if (start.value < first || end.value > last) {
      throw new NeutronError(400, 'OutOfBoundsAllocationPool', `The allocation pool ${shown} spans beyond the subnet cidr ${cidrText}.`);
    }
    return { start: start.value, end: end.value, text: { start: formatIp(c.version, start.value), end: formatIp(c.version, end.value) } };
  });
  for (let i = 0; i < pools.length; i++) {
    for (let j = i + 1; j < pools.length; j++) {
      if (pools[i].start <= pools[j].end && pools[j].start <= pools[i].end) {
        throw conflict(
          'OverlappingAllocationPools',
          `Found overlapping allocation pools: ${poolText(pools[i].text)} ${poolText(pools[j].text)} for subnet ${cidrText}.`,
        );
      }
    }
  }
  if (gateway) {
    const g = parseIp(gateway)!.value;
    const hit = pools.find((p) => g >= p.start && g <= p.end);
    if (hit) throw conflict('GatewayConflictWithAllocationPools', `Gateway ip ${gateway} conflicts with allocation pool ${poolText(hit.text)}.`);
  }
  return pools.map((p) => p.text);
}

const invalidPool = (shown: string) => new NeutronError(400, 'InvalidAllocationPool', `The allocation pool ${shown} is not valid.`);

export function checkNameservers(given: unknown[]): string[] {
  if (given.length > MAX_DNS_NAMESERVERS) throw exhausted('DNSNameServersExhausted', 'DNS Nameservers', MAX_DNS_NAMESERVERS);
  const seen = new Set<string>();
  return given.map((v) => {
    const ip = typeof v === 'string' ? parseIp(v) : undefined;
    if (!ip) throw invalidAttribute('dns_nameservers', `'${String(v)}' is not a valid nameserver`);
    const text = formatIp(ip.version, ip.value);
    if (seen.has(text)) throw invalidAttribute('dns_nameservers', `Duplicate nameserver '${String(v)}'`);
    seen.add(text);
    return String(v);
  });
}

export function checkHostRoutes(given: unknown[], version: number): HostRoute[] {
  if (given.length > MAX_HOST_ROUTES) throw exhausted('HostRoutesExhausted', 'host routes', MAX_HOST_ROUTES);
  return given.map((v) => {
    const r = v as { destination?: unknown; nexthop?: unknown };
    const destination = typeof r.destination === 'string' ? parseCidr(r.destination) : undefined;
    const nexthop = typeof r.nexthop === 'string' ? parseIp(r.nexthop) : undefined;
    if (!v || typeof v !== 'object' || !destination || !nexthop || Object.keys(v).some((k) => k !== 'destination' && k !== 'nexthop')) {
      throw invalidAttribute('host_routes', `Invalid data format for hostroute: '${JSON.stringify(v)}'`);
    }
    if (destination.version !== version || nexthop.version !== version) {
      throw invalidInput(`host_routes '${JSON.stringify(v)}' does not match the ip_version '${version}'`);
    }
    return { destination: `${formatIp(destination.version, destination.network)}/${destination.prefix}`, nexthop: String(r.nexthop) };
  });
}

// neutron-lib's DNSNameServersExhausted and HostRoutesExhausted (BadRequest).
const exhausted = (type: string, what: string, max: number) =>
  new NeutronError(400, type, `Unable to complete operation for subnet. The number of ${what} exceeds the limit ${max}.`);

/** A CIDR that overlaps one of the network's other subnets is refused (across networks and projects, overlap is fine). */
export function checkOverlap(c: Cidr, cidrText: string, networkId: string, others: ReadonlyArray<{ cidr: string }>): void {
  if (others.some((o) => overlaps(parseCidr(o.cidr)!, c))) {
    throw invalidInput(`Requested subnet with cidr: ${cidrText} for network: ${networkId} overlaps with another subnet`);
  }
}
