import { join } from 'node:path';
import { run } from './command.js';
import { ensureDnsmasq, findDnsmasq, METADATA_ADDRESS, stopDnsmasq } from './dnsmasq.js';
import { addBridge, addTap, addVeth, configure, deleteLink, listLinks, plug, setAddresses, type Link } from './links.js';
import { namesOf, type DataPlaneNames } from './names.js';
import { deleteNamespace, ensureNamespace, listNamespaces } from './namespaces.js';
import { renderRules } from './nft-rules.js';
import { applyRules } from './nftables.js';
import { findMetadataProxies, startMetadataProxy, stopMetadataProxy } from './metadata-proxy.js';
import type { DataPlanePlan, NetworkPlan, PortPlan } from './plan.js';

/** What one reconcile changed, each entry `<what> <name>`: empty when the data plane already matched the plan. */
export interface ReconcileReport {
  readonly created: string[];
  readonly removed: string[];
  readonly changed: string[];
}

const dhcpRoot = (stateDir: string) => join(stateDir, 'dhcp');

/** Inside a DHCP namespace the one interface needs no cloud prefix to be unique, but carries it all the same. */
const innerName = (names: DataPlaneNames, networkId: string) => names.iface('dhcpInner', networkId);

/**
 * Makes the cloud's data plane on this machine what `plan` says, touching only what carries the cloud's prefix:
 * its host namespace (made when missing), bridges, port devices, DHCP namespaces and their dnsmasq, and its two
 * nftables tables. What is missing is made, what differs is set, what the plan no longer holds is removed, and
 * what already matches is left alone (a second reconcile changes nothing).
 */
export async function reconcile(plan: DataPlanePlan): Promise<ReconcileReport> {
  const names = namesOf(plan.cloudId);
  const report: ReconcileReport = { created: [], removed: [], changed: [] };
  const host = names.hostNamespace;
  const namespaces = await listNamespaces(names.namespacePrefix);
  if (await ensureHostNamespace(plan.cloudId, namespaces)) report.created.push(`namespace ${host}`);

  const networks = new Map(plan.networks.map((n) => [n.id, n]));
  const ports = plan.ports.filter((p) => networks.has(p.networkId));
  const wanted = new Map<string, { kind: 'bridge' | 'port' | 'dhcp'; network: NetworkPlan; port?: PortPlan }>();
  for (const network of plan.networks) {
    wanted.set(names.iface('bridge', network.id), { kind: 'bridge', network });
    if (network.dhcp) wanted.set(names.iface('dhcpHost', network.id), { kind: 'dhcp', network });
  }
  for (const port of ports) wanted.set(names.iface('port', port.id), { kind: 'port', network: networks.get(port.networkId)!, port });

  // Stale devices first, ports before bridges, so nothing is briefly plugged into a bridge about to go.
  const present = new Map((await listLinks(host, names.interfacePrefix)).map((l) => [l.ifname, l]));
  const order = (l: Link) => (l.kind === 'bridge' ? 1 : 0);
  for (const link of [...present.values()].sort((a, b) => order(a) - order(b))) {
    const want = wanted.get(link.ifname);
    const sameKind = want && (want.kind === 'bridge') === (link.kind === 'bridge') && (want.kind !== 'port' || kindMatches(want.port!, link));
    if (sameKind) continue;
    await deleteLink(host, link.ifname).catch(() => undefined); // a veth goes with its peer
    present.delete(link.ifname);
    report.removed.push(`link ${link.ifname}`);
  }
  for (const network of plan.networks) {
    const bridge = names.iface('bridge', network.id);
    const link = present.get(bridge);
    if (!link) {
      await addBridge(host, bridge, network.mtu);
      report.created.push(`link ${bridge}`);
    } else if (link.mtu !== network.mtu || link.operstate === 'DOWN') {
      await configure(host, bridge, { mtu: network.mtu });
      report.changed.push(`link ${bridge}`);
    }
  }
  for (const port of ports) await ensurePort(names, port, networks.get(port.networkId)!, present.get(names.iface('port', port.id)), report);

  await reconcileDhcp(plan, names, namespaces, present, report);

  const written = await applyRules(host, names.table, renderRules({ ...plan, ports }, names));
  for (const family of written) report.changed.push(`table ${family} ${names.table}`);
  return report;
}

/**
 * Makes the cloud's host namespace unless it exists (the real host's hypervisor is started in it, maybe before the
 * first reconcile). Answers whether it made it.
 */
export async function ensureHostNamespace(cloudId: string, existing?: readonly string[]): Promise<boolean> {
  const names = namesOf(cloudId);
  if (!(await ensureNamespace(names.hostNamespace, existing ?? (await listNamespaces(names.namespacePrefix))))) return false;
  // No forwarding between the host namespace's own interfaces: guest traffic crosses only bridges and routers.
  await run('ip', ['netns', 'exec', names.hostNamespace, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0']);
  return true;
}

const kindMatches = (port: PortPlan, link: Link) => (port.device.kind === 'tap' ? link.kind === 'tun' : link.kind === 'veth');

async function ensurePort(names: DataPlaneNames, port: PortPlan, network: NetworkPlan, link: Link | undefined, report: ReconcileReport) {
  const host = names.hostNamespace;
  const dev = names.iface('port', port.id);
  const bridge = names.iface('bridge', network.id);
  if (!link) {
    if (port.device.kind === 'tap') await addTap(host, dev);
    else {
      await addVeth(host, dev, network.mtu, port.device.guestName, port.device.guestNamespace);
      await configure(port.device.guestNamespace, port.device.guestName, { mac: port.mac, mtu: network.mtu });
    }
    await plug(host, dev, bridge, network.mtu);
    report.created.push(`link ${dev}`);
    return;
  }
  // A tap nobody has opened is NO-CARRIER and its operstate DOWN although it is set up: look at the UP flag.
  if (link.master !== bridge || link.mtu !== network.mtu || !link.flags.includes('UP')) {
    await plug(host, dev, bridge, network.mtu);
    report.changed.push(`link ${dev}`);
  }
}

async function reconcileDhcp(plan: DataPlanePlan, names: DataPlaneNames, namespaces: string[], present: Map<string, Link>, report: ReconcileReport) {
  const root = dhcpRoot(plan.stateDir);
  const withDhcp = plan.networks.filter((n) => n.dhcp);
  const wantedNs = new Set(withDhcp.map((n) => names.dhcpNamespace(n.id)));
  const processes = findDnsmasq(root);
  const wantedIds = new Set(withDhcp.map((n) => n.id));
  for (const p of processes) {
    if (wantedIds.has(p.networkId)) continue;
    await stopDnsmasq(root, p);
    report.removed.push(`dnsmasq ${p.networkId}`);
  }
  const proxies = findMetadataProxies(plan.stateDir);
  for (const p of proxies) {
    if (plan.metadata && p.kind === 'network' && wantedIds.has(p.id)) continue;
    await stopMetadataProxy(p.pid);
    report.removed.push(`metadata-proxy ${p.id}`);
  }
  const dhcpPrefix = `${names.namespacePrefix}-dhcp-`;
  for (const ns of namespaces) {
    if (!ns.startsWith(dhcpPrefix) || wantedNs.has(ns)) continue;
    await deleteNamespace(ns);
    report.removed.push(`namespace ${ns}`);
  }
  for (const network of withDhcp) {
    const dhcp = network.dhcp!;
    const ns = names.dhcpNamespace(network.id);
    if (await ensureNamespace(ns, namespaces)) report.created.push(`namespace ${ns}`);
    const outer = names.iface('dhcpHost', network.id);
    const inner = innerName(names, network.id);
    const innerPresent = (await listLinks(ns, inner)).length > 0;
    if (present.has(outer) && !innerPresent) {
      await deleteLink(names.hostNamespace, outer);
      present.delete(outer);
    }
    if (!present.has(outer)) {
      if (innerPresent) await deleteLink(ns, inner);
      await addVeth(names.hostNamespace, outer, network.mtu, inner, ns);
      await plug(names.hostNamespace, outer, names.iface('bridge', network.id), network.mtu);
      report.created.push(`link ${outer}`);
    } else {
      const link = present.get(outer)!;
      if (link.master !== names.iface('bridge', network.id) || link.mtu !== network.mtu || !link.flags.includes('UP')) {
        await plug(names.hostNamespace, outer, names.iface('bridge', network.id), network.mtu);
        report.changed.push(`link ${outer}`);
      }
    }
    await configure(ns, inner, { mac: dhcp.mac, mtu: network.mtu });
    const addresses = dhcp.subnets.map((s) => `${s.address}/${s.cidr.split('/')[1]}`);
    if (await setAddresses(ns, inner, [...addresses, `${METADATA_ADDRESS}/32`])) report.changed.push(`addresses ${inner}`);
    const outcome = await ensureDnsmasq(root, network.id, ns, inner, network.mtu, dhcp, processes);
    if (outcome === 'started') report.created.push(`dnsmasq ${network.id}`);
    else if (outcome !== 'unchanged') report.changed.push(`dnsmasq ${network.id}`);
    if (plan.metadata) {
      const mine = proxies.filter((p) => p.kind === 'network' && p.id === network.id);
      for (const extra of mine.slice(1)) await stopMetadataProxy(extra.pid);
      if (!mine.length) {
        await startMetadataProxy(plan.stateDir, ns, plan.metadata.socketPath, 'network', network.id, plan.metadata.secretFile, METADATA_ADDRESS);
        report.created.push(`metadata-proxy ${network.id}`);
      }
    }
  }
}

/** Removes everything of the cloud's data plane on this machine: its dnsmasq processes and its namespaces (and with them its devices and tables). */
export async function teardown(cloudId: string, stateDir: string): Promise<void> {
  const names = namesOf(cloudId);
  const root = dhcpRoot(stateDir);
  for (const p of findDnsmasq(root)) await stopDnsmasq(root, p);
  for (const p of findMetadataProxies(stateDir)) await stopMetadataProxy(p.pid);
  const namespaces = await listNamespaces(names.namespacePrefix);
  // The nested ones first: deleting the host namespace takes the host ends of their veths with it.
  for (const ns of namespaces.filter((n) => n !== names.hostNamespace)) await deleteNamespace(ns);
  if (namespaces.includes(names.hostNamespace)) await deleteNamespace(names.hostNamespace);
}
