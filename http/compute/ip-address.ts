// Nova keeps a server's access addresses in netaddr-typed fields, so an IPv6 address comes back in its canonical
// text (RFC 5952: lower case, no leading zeros, the longest run of zero groups as `::`); Tempest compares with that.

/** The canonical text of an IPv6 address the schema's `ipv6` format accepted; anything else as it came. */
export function canonicalIpv6(address: string): string {
  let host: string;
  try {
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
  // netaddr prints an IPv4-mapped address with its IPv4 part dotted (`::ffff:1.2.3.4`), where URL gives hex groups.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
