import { isIPv4, isIPv6 } from 'node:net';

// Addresses as bigints, so IPv4 and IPv6 share one arithmetic (a /64 holds more than a double can count).

export type IpVersion = 4 | 6;

export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

const bitsOf = (version: IpVersion) => (version === 4 ? 32 : 128);

/** An address as a number, with its version; undefined for anything that is not one address. */
export function parseIp(text: string): { version: IpVersion; value: bigint } | undefined {
  if (isIPv4(text)) return { version: 4, value: text.split('.').reduce((n, octet) => n * 256n + BigInt(octet), 0n) };
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let address = text.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two hextets.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail) {
    const v4 = parseIp(tail[1])!.value;
    address = `${address.slice(0, -tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right];
  return { version: 6, value: groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n) };
}

/** An address in its canonical text: dotted IPv4, or IPv6 with the longest run of zero groups compressed. */
export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

/** A CIDR as written (`10.0.0.0/24`, `fd00::/64`); host bits are kept, the caller decides whether they are allowed. */
export function parseCidr(text: string): (Cidr & { address: bigint }) | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const ip = parseIp(match[1]);
  const prefix = Number(match[2]);
  if (!ip || prefix > bitsOf(ip.version)) return undefined;
  return { version: ip.version, network: ip.value & mask(ip.version, prefix), prefix, address: ip.value };
}

export const mask = (version: IpVersion, prefix: number): bigint => {
  const bits = BigInt(bitsOf(version));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
};

export const cidrText = (c: Cidr) => `${formatIp(c.version, c.network)}/${c.prefix}`;
export const firstOf = (c: Cidr) => c.network;
export const lastOf = (c: Cidr) => c.network | (((1n << BigInt(bitsOf(c.version))) - 1n) ^ mask(c.version, c.prefix));
export const contains = (c: Cidr, version: IpVersion, value: bigint) => version === c.version && value >= firstOf(c) && value <= lastOf(c);
export const overlaps = (a: Cidr, b: Cidr) => a.version === b.version && firstOf(a) <= lastOf(b) && firstOf(b) <= lastOf(a);

/**
 * The addresses a subnet may hand out, as Neutron counts them: IPv4 leaves out the network and broadcast
 * addresses (for prefixes up to /30), IPv6 the subnet-router anycast address.
 */
export function usableRange(c: Cidr): { first: bigint; last: bigint } {
  if (c.version === 4) return c.prefix <= 30 ? { first: firstOf(c) + 1n, last: lastOf(c) - 1n } : { first: firstOf(c), last: lastOf(c) };
  return { first: firstOf(c) + 1n, last: lastOf(c) };
}
