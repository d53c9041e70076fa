import { run } from './command.js';

export interface Link {
  readonly ifname: string;
  readonly address?: string;
  readonly mtu: number;
  readonly master?: string;
  readonly operstate: string;
  readonly flags: readonly string[];
  readonly kind?: string;
}

interface IpLink {
  ifname: string;
  address?: string;
  mtu: number;
  master?: string;
  operstate: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

/** The interfaces of namespace `ns` whose names start with `prefix`. */
export async function listLinks(ns: string, prefix: string): Promise<Link[]> {
  const all = JSON.parse(await run('ip', ['-j', '-d', '-n', ns, 'link', 'show'])) as IpLink[];
  return all
    .filter((l) => l.ifname.startsWith(prefix))
    .map((l) => ({
      ifname: l.ifname,
      ...(l.address ? { address: l.address } : {}),
      mtu: l.mtu,
      ...(l.master ? { master: l.master } : {}),
      operstate: l.operstate,
      flags: l.flags ?? [],
      ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    }));
}

const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]).then(() => undefined);

export const addBridge = async (ns: string, name: string, mtu: number) => {
  // No STP and no forwarding delay: the bridge has no loops, and a guest's first DHCP request must not wait 15 s.
  await ip(ns, 'link', 'add', 'name', name, 'mtu', String(mtu), 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
  // The host namespace is no party to guest traffic: no address of its own on the guest bridges.
  await ip(ns, 'link', 'set', name, 'addrgenmode', 'none');
  await ip(ns, 'link', 'set', name, 'up');
};

export const addTap = (ns: string, name: string) => ip(ns, 'tuntap', 'add', 'dev', name, 'mode', 'tap');

/** A veth pair: `name` in `ns`, its peer `peer` in namespace `peerNs`. */
export const addVeth = (ns: string, name: string, mtu: number, peer: string, peerNs: string) =>
  ip(ns, 'link', 'add', name, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', peer, 'mtu', String(mtu), 'netns', peerNs);

/** Puts an interface on a bridge with an MTU and brings it up. */
export async function plug(ns: string, name: string, bridge: string, mtu: number): Promise<void> {
  await ip(ns, 'link', 'set', name, 'mtu', String(mtu), 'master', bridge);
  await ip(ns, 'link', 'set', name, 'up');
}

export async function configure(ns: string, name: string, settings: { mac?: string; mtu: number }): Promise<void> {
  const args = ['link', 'set', name, 'mtu', String(settings.mtu)];
  if (settings.mac) args.push('address', settings.mac);
  await ip(ns, ...args);
  await ip(ns, 'link', 'set', name, 'up');
}

export const deleteLink = (ns: string, name: string) => ip(ns, 'link', 'delete', name);

/** The IPv4/IPv6 addresses (with prefix lengths) on an interface, link-local ones left out. */
export async function addressesOf(ns: string, name: string): Promise<string[]> {
  const out = JSON.parse(await run('ip', ['-j', '-n', ns, 'addr', 'show', 'dev', name])) as Array<{
    addr_info?: Array<{ local: string; prefixlen: number; scope: string }>;
  }>;
  return (out[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`);
}

export async function setAddresses(ns: string, name: string, wanted: readonly string[]): Promise<boolean> {
  const present = await addressesOf(ns, name);
  if (present.length === wanted.length && wanted.every((a) => present.includes(a))) return false;
  await ip(ns, 'addr', 'flush', 'dev', name, 'scope', 'global');
  for (const address of wanted) await ip(ns, 'addr', 'add', address, 'dev', name);
  return true;
}
