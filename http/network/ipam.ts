import { randomBytes, randomInt } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { NeutronSubnetRow } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import { conflict, invalidInput, NeutronError } from './errors.js';
import { contains, formatIp, parseCidr, parseIp, usableRange, type Cidr } from './ip.js';
import type { NetworkData } from './services.js';
import type { Pool } from './views/subnet.js';

// Address management. Every decision here runs inside a transaction serialized on the network (services.serialized),
// so two ports never take one address or one MAC; the allocations' primary key (subnet, address) and the ports'
// unique (network, MAC) index hold even against a writer that skipped the lock.

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

/** One `fixed_ips` entry as asked: a subnet, an address, or both. */
export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

/** Neutron's base_mac fa:16:3e:00:00:00 with its three random octets. */
export const randomMac = () => `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** How many random MACs are tried before giving up (Neutron's mac_generation_retries). */
const MAC_RETRIES = 16;

export async function uniqueMac(s: NetworkData, networkId: string, transaction: Transaction): Promise<string> {
  for (let i = 0; i < MAC_RETRIES; i++) {
    const mac = randomMac();
    if (!(await macTaken(s, networkId, mac, transaction))) return mac;
  }
  throw new NeutronError(503, 'MacAddressGenerationFailure', `Unable to generate unique mac on network ${networkId}.`);
}

export const macTaken = async (s: NetworkData, networkId: string, mac: string, transaction: Transaction) =>
  (await s.models.NeutronPort.count({ where: { network_id: networkId, mac_address: mac }, transaction })) > 0;

export const SLAAC_MODES = new Set(['slaac', 'dhcpv6-stateless']);
export const isSlaac = (subnet: NeutronSubnetRow) => Number(subnet.ip_version) === 6 && SLAAC_MODES.has(subnet.ipv6_address_mode ?? '');

/** The EUI-64 address a SLAAC subnet gives a MAC (RFC 4291 appendix A), as Neutron computes it. */
export function eui64(c: Cidr, mac: string): bigint {
  const bytes = mac.split(':').map((h) => parseInt(h, 16));
  bytes[0] ^= 0x02;
  const id = [...bytes.slice(0, 3), 0xff, 0xfe, ...bytes.slice(3)].reduce((n, b) => (n << 8n) + BigInt(b), 0n);
  return c.network | id;
}

const poolRanges = (subnet: NeutronSubnetRow, version: 4 | 6) =>
  (JSON.parse(subnet.allocation_pools) as Pool[]).map((p) => ({ first: parseIp(p.start)!.value, last: parseIp(p.end)!.value, version }));

/** Pools up to this many addresses are read whole; larger ones are probed at random. */
const SMALL_POOL = 4096n;
const PROBES = 32;

/** A free address from a subnet's pools, or undefined when they are exhausted. */
const freeAddress = async (s: NetworkData, subnet: NeutronSubnetRow, transaction: Transaction): Promise<string | undefined> =>
  (await freeAddresses(s, subnet, 1, transaction))[0];

/** Up to `k` distinct free addresses from a subnet's pools (fewer when the pools have fewer left). */
export async function freeAddresses(s: NetworkData, subnet: NeutronSubnetRow, k: number, transaction: Transaction): Promise<string[]> {
  const c = parseCidr(subnet.cidr)!;
  const ranges = poolRanges(subnet, c.version);
  const size = ranges.reduce((n, r) => n + (r.last - r.first + 1n), 0n);
  const nth = (i: bigint) => {
    for (const r of ranges) {
      const length = r.last - r.first + 1n;
      if (i < length) return r.first + i;
      i -= length;
    }
    return undefined;
  };
  if (size > SMALL_POOL) {
    // Neutron's IPAM also picks at random, so that concurrent allocators rarely meet.
    const candidates = [...new Set(Array.from({ length: PROBES + 2 * k }, () => formatIp(c.version, nth(randomBelow(size))!)))];
    const taken = new Set(
      (
        await readRows(s.models.NeutronIpAllocation, {
          attributes: ['ip_address'],
          where: { subnet_id: subnet.id, ip_address: { [Op.in]: candidates } },
          transaction,
        })
      ).map((r) => r.ip_address),
    );
    const free = candidates.filter((a) => !taken.has(a));
    if (free.length >= k) return free.slice(0, k);
  }
  const taken = new Set(
    (await readRows(s.models.NeutronIpAllocation, { attributes: ['ip_address'], where: { subnet_id: subnet.id }, transaction })).map(
      (r) => parseIp(r.ip_address)!.value,
    ),
  );
  const free: bigint[] = [];
  for (let i = 0n; i < size && free.length < k + 64; i++) {
    const a = nth(i)!;
    if (!taken.has(a)) free.push(a);
  }
  // k at random among the first free ones.
  for (let i = free.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [free[i], free[j]] = [free[j], free[i]];
  }
  return free.slice(0, k).map((a) => formatIp(c.version, a));
}

const randomBelow = (n: bigint): bigint => {
  const bytes = randomBytes(16).reduce((acc, b) => (acc << 8n) + BigInt(b), 0n);
  return bytes % n;
};

export const exhausted = (networkId: string) => conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);

/**
 * The addresses a new port (or a port's new `fixed_ips`) gets on its network, as Neutron's IPAM gives them: the asked-for
 * addresses after their checks; for a subnet alone, a free address of its pools; with nothing asked, one address from
 * the first IPv4 subnet with room and one IPv6 address (SLAAC subnets: from the MAC).
 */
export async function allocate(
  s: NetworkData,
  transaction: Transaction,
  port: { network_id: string; mac_address: string; device_owner: string },
  subnets: readonly NeutronSubnetRow[],
  requests: readonly FixedIpRequest[] | undefined,
  keep: readonly FixedIp[] = [],
): Promise<FixedIp[]> {
  const out: FixedIp[] = [];
  const held = new Set(keep.map((k) => `${k.subnet_id}/${k.ip_address}`));
  const take = (subnet: NeutronSubnetRow, address: string) => out.push({ subnet_id: subnet.id, ip_address: address });
  if (requests === undefined) {
    const v4 = subnets.filter((x) => Number(x.ip_version) === 4);
    let got = false;
    for (const subnet of v4) {
      const a = await freeAddress(s, subnet, transaction);
      if (a) {
        take(subnet, a);
        got = true;
        break;
      }
    }
    if (v4.length && !got) throw exhausted(port.network_id);
    const v6 = subnets.filter((x) => Number(x.ip_version) === 6);
    for (const subnet of v6) {
      if (isSlaac(subnet)) {
        take(subnet, formatIp(6, eui64(parseCidr(subnet.cidr)!, port.mac_address)));
        continue;
      }
      const a = await freeAddress(s, subnet, transaction);
      if (a) {
        take(subnet, a);
        break;
      }
    }
    return out;
  }
  for (const r of requests) {
    const subnet = r.subnet_id ? subnets.find((x) => x.id === r.subnet_id) : subnetHolding(subnets, r.ip_address!);
    if (!subnet && r.subnet_id) {
      throw invalidInput(`Failed to create port on network ${port.network_id}, because fixed_ips included invalid subnet ${r.subnet_id}`);
    }
    if (!subnet)
      throw new NeutronError(
        400,
        'InvalidIpForNetwork',
        `IP address ${r.ip_address} is not a valid IP for any of the subnets on the specified network.`,
      );
    if (r.ip_address === undefined) {
      const mine = keep.find((k) => k.subnet_id === subnet.id && !out.some((o) => o.ip_address === k.ip_address));
      if (mine) {
        out.push(mine);
        continue;
      }
      const a = isSlaac(subnet) ? formatIp(6, eui64(parseCidr(subnet.cidr)!, port.mac_address)) : await freeAddress(s, subnet, transaction);
      if (!a) throw exhausted(port.network_id);
      take(subnet, a);
      continue;
    }
    const ip = parseIp(r.ip_address)!;
    const c = parseCidr(subnet.cidr)!;
    const { first, last } = usableRange(c);
    if (!contains(c, ip.version, ip.value) || ip.value < first || ip.value > last) {
      throw new NeutronError(400, 'InvalidIpForSubnet', `IP address ${r.ip_address} is not a valid IP for the specified subnet.`);
    }
    const address = formatIp(ip.version, ip.value);
    if (held.has(`${subnet.id}/${address}`)) {
      out.push({ subnet_id: subnet.id, ip_address: address });
      continue;
    }
    const router = port.device_owner.startsWith('network:router');
    const taken =
      out.some((o) => o.ip_address === address) ||
      (address === subnet.gateway_ip && !router) ||
      (await s.models.NeutronIpAllocation.count({ where: { subnet_id: subnet.id, ip_address: address }, transaction })) > 0;
    if (taken) throw conflict('IpAddressInUse', `Unable to complete operation for network ${port.network_id}. The IP address ${address} is in use.`);
    take(subnet, address);
  }
  return out;
}

const subnetHolding = (subnets: readonly NeutronSubnetRow[], address: string) => {
  const ip = parseIp(address)!;
  return subnets.find((x) => contains(parseCidr(x.cidr)!, ip.version, ip.value));
};
