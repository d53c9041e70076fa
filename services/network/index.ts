import { Op } from 'sequelize';
import type { Models, NeutronNetworkRow, NeutronPortRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';

// The compute service's side of the Networking service, as Nova's network API is: the reads it needs of networks
// and ports (the tables), and the writes that must go through the Networking service's own rules (addresses, MACs,
// quotas, default security group), which that service hands in as a `PortWriter` when the cloud is wired.

/** A port made for a server, as the compute service asks for it. */
export interface PortRequest {
  readonly project_id: string;
  readonly network_id: string;
  readonly device_id: string;
  readonly device_owner: string;
  readonly binding_host_id: string;
  readonly fixed_ip?: string;
  /** Security group names or ids; undefined: the project's default group. */
  readonly security_groups?: readonly string[];
}

/** A refusal of the Networking service, in its terms (Neutron's type and message), for the compute service to translate. */
export class NetworkRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Networking service's writes of ports (implemented beside the Networking API; any refusal a `NetworkRefusal`). */
export interface PortWriter {
  create(request: PortRequest): Promise<string>;
  /** Sets the port's device and binding (an attach, a detach, a move); a missing port is left alone. */
  update(id: string, changes: { device_id?: string; device_owner?: string; binding_host_id?: string }): Promise<void>;
  /**
   * Gives a free port (no device) to a device, in one conditional write: of two claims at once one wins; false when
   * the port has a device already (or is gone).
   */
  claim(id: string, device_id: string, device_owner: string): Promise<boolean>;
  /** Sets the port's security groups (ids of its project's groups). */
  setSecurityGroups(id: string, groups: readonly string[]): Promise<void>;
  /** Removes the port, unmapping a floating IP held by it; a missing port is left alone. */
  remove(id: string): Promise<void>;
  /** The project's auto-allocated network (made on first use), or undefined when the cloud has no default external network. */
  autoAllocated(project: string): Promise<string | undefined>;
  /** Security group ids of the project by name or id; a name not found throws a `NetworkRefusal` 404. */
  securityGroupIds(project: string, namesOrIds: readonly string[]): Promise<string[]>;
}

/** A call of the Networking API with the caller's token, as Nova makes them (its network proxies' writes). */
export type NeutronCall = (method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

export interface NetworkDeps {
  readonly models: Models;
  readonly ports: PortWriter;
  readonly neutron?: NeutronCall;
}

export const networkById = (d: NetworkDeps, id: string) => readByPk(d.models.NeutronNetwork, id);
export const portById = (d: NetworkDeps, id: string) => readByPk(d.models.NeutronPort, id);

/**
 * The networks a project may attach a server to without naming one, as Nova's _get_available_networks lists them:
 * its own (but external ones), then the shared ones; with `ids`, those of them that it may use (its own, shared, or any for an admin).
 */
export async function availableNetworks(d: NetworkDeps, project: string, isAdmin: boolean, ids?: readonly string[]): Promise<NeutronNetworkRow[]> {
  if (ids) {
    const rows = await readRows(d.models.NeutronNetwork, { where: { id: { [Op.in]: [...new Set(ids)] } } });
    return rows.filter((n) => isAdmin || n.project_id === project || !!n.shared || !!n.external);
  }
  const order: Array<[string, string]> = [
    ['created_at', 'ASC'],
    ['id', 'ASC'],
  ];
  // External networks are left out of the implicit choice (Nova would take admin's `public`): their addresses are the
  // cloud's floating IPs, and a boot naming no network should not spend them. Named, an admin may still use one.
  const own = await readRows(d.models.NeutronNetwork, { where: { project_id: project, shared: false, external: false }, order });
  const shared = await readRows(d.models.NeutronNetwork, { where: { shared: true }, order });
  return [...own, ...shared];
}

/** Whether a network has a subnet (a port on it gets an address). */
export const hasSubnet = async (d: NetworkDeps, network: string) => (await d.models.NeutronSubnet.count({ where: { network_id: network } })) > 0;

export interface ServerAddress {
  readonly network: string;
  readonly version: 4 | 6;
  readonly addr: string;
  readonly type: 'fixed' | 'floating';
  readonly mac: string;
}

export interface ServerPort {
  readonly port: NeutronPortRow;
  readonly fixed: ReadonlyArray<{ subnet_id: string; ip_address: string }>;
  readonly networkName: string;
  readonly floating: readonly string[];
  readonly tag: string | null;
  readonly preserve: boolean;
}

const CHUNK = 500;
const chunks = <T>(xs: readonly T[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Each server's ports (in the order they were attached) with their addresses, network names and floating
 * addresses: a handful of queries for a whole page of servers.
 */
export async function portsOfServers(d: NetworkDeps, servers: readonly string[]): Promise<Map<string, ServerPort[]>> {
  const out = new Map<string, ServerPort[]>(servers.map((id) => [id, []]));
  if (!servers.length) return out;
  const m = d.models;
  const links = (await Promise.all(chunks(servers).map((c) => readRows(m.InstancePort, { where: { instance_uuid: { [Op.in]: c } } })))).flat();
  if (!links.length) return out;
  const ids = links.map((l) => l.port_id);
  const [ports, fixed, floating] = await Promise.all([
    Promise.all(chunks(ids).map((c) => readRows(m.NeutronPort, { where: { id: { [Op.in]: c } } }))).then((r) => r.flat()),
    Promise.all(chunks(ids).map((c) => readRows(m.NeutronIpAllocation, { where: { port_id: { [Op.in]: c } } }))).then((r) => r.flat()),
    Promise.all(chunks(ids).map((c) => readRows(m.NeutronFloatingIp, { where: { port_id: { [Op.in]: c } } }))).then((r) => r.flat()),
  ]);
  const networks = new Map(
    (await readRows(m.NeutronNetwork, { attributes: ['id', 'name'], where: { id: { [Op.in]: [...new Set(ports.map((p) => p.network_id))] } } })).map(
      (n) => [n.id, n.name],
    ),
  );
  const portOf = new Map(ports.map((p) => [p.id, p]));
  const key = (a: string) => `${a.includes(':') ? 1 : 0}/${a.padStart(40, '0')}`;
  links.sort((a, b) => Number(a.position) - Number(b.position) || (a.port_id < b.port_id ? -1 : 1));
  for (const link of links) {
    const port = portOf.get(link.port_id);
    // A port removed through the Networking API is no longer the server's.
    if (!port || port.device_id !== link.instance_uuid) continue;
    out.get(link.instance_uuid)!.push({
      port,
      fixed: fixed
        .filter((f) => f.port_id === port.id)
        .sort((a, b) => (key(a.ip_address) < key(b.ip_address) ? -1 : 1))
        .map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
      networkName: networks.get(port.network_id) ?? port.network_id,
      floating: floating.filter((f) => f.port_id === port.id).map((f) => f.floating_ip_address),
      tag: link.tag ?? null,
      preserve: !!link.preserve_on_delete,
    });
  }
  return out;
}

/** A server's addresses, as Nova's network info lists them: each port's fixed addresses, then its floating ones. */
export function addressesOf(ports: readonly ServerPort[]): ServerAddress[] {
  return ports.flatMap((p) => [
    ...p.fixed.map((f): ServerAddress => ({
      network: p.networkName,
      version: f.ip_address.includes(':') ? 6 : 4,
      addr: f.ip_address,
      type: 'fixed' as const,
      mac: p.port.mac_address,
    })),
    ...p.floating.map((a) => ({ network: p.networkName, version: 4 as const, addr: a, type: 'floating' as const, mac: p.port.mac_address })),
  ]);
}

/** Security group names of a server's ports, each once (Nova's view of a server's groups under Neutron). */
export async function securityGroupNames(d: NetworkDeps, ports: ReadonlyMap<string, readonly ServerPort[]>): Promise<Map<string, string[]>> {
  const ids = new Set<string>();
  for (const list of ports.values()) for (const p of list) for (const g of JSON.parse(p.port.security_groups) as string[]) ids.add(g);
  const names = new Map(
    ids.size
      ? (await readRows(d.models.NeutronSecurityGroup, { attributes: ['id', 'name'], where: { id: { [Op.in]: [...ids] } } })).map((g) => [
          g.id,
          g.name,
        ])
      : [],
  );
  const out = new Map<string, string[]>();
  for (const [server, list] of ports) {
    const seen = [...new Set(list.flatMap((p) => JSON.parse(p.port.security_groups) as string[]))].map((g) => names.get(g) ?? g);
    out.set(server, [...new Set(seen)]);
  }
  return out;
}
