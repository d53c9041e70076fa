import { Op } from 'sequelize';
import type { Models } from '../../models/index.js';
import { readRows } from '../../models/typed.js';
import type { NeutronPortRow } from '../../models/neutron/port.js';
import type { DataPlanePlan, DhcpPlan, NetworkPlan, PortPlan, SecurityGroupPlan, SecurityGroupRulePlan } from '../../drivers/dataplane/plan.js';

/** Nova's default `[api] dhcp_domain`: instance host names are served under it. */
const DHCP_DOMAIN = 'novalocal';

export interface DesiredOptions {
  readonly cloudId: string;
  readonly stateDir: string;
  /** The compute host whose guests' ports (`binding:host_id`) this machine plumbs; or several (`hostIds`). */
  readonly hostId?: string;
  readonly hostIds?: readonly string[];
  readonly metadata?: DataPlanePlan['metadata'];
  /** The device standing for a port: a tap for a real guest (the default); tests give veths into namespaces. */
  readonly device?: (port: NeutronPortRow) => PortPlan['device'];
}

const parsed = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/**
 * The data plane one compute host's machine should have, from the Networking API's tables: the networks of the
 * ports bound to the host (`binding:host_id`, owned by an instance), each with its DHCP server when the network has a
 * `network:dhcp` port (static entries for every instance port of the network, named by the instances' host names),
 * the ports with their addresses, allowed address pairs and groups, and every group they are in or their rules
 * name, with its members' addresses. Rows are read in a fixed order: unchanged tables give an identical plan (the
 * data-plane actor compares fingerprints).
 */
export async function desiredDataPlane(models: Models, options: DesiredOptions): Promise<DataPlanePlan> {
  const hostIds = [...(options.hostIds ?? []), ...(options.hostId ? [options.hostId] : [])];
  const bound = (
    hostIds.length ? await readRows(models.NeutronPort, { order: [['id', 'ASC']], where: { binding_host_id: { [Op.in]: hostIds } } }) : []
  ).filter((p) => p.device_owner.startsWith('compute:'));
  const networkIds = [...new Set(bound.map((p) => p.network_id))];
  const networks = networkIds.length ? await readRows(models.NeutronNetwork, { order: [['id', 'ASC']], where: { id: { [Op.in]: networkIds } } }) : [];
  const onNetworks = networkIds.length
    ? await readRows(models.NeutronPort, { order: [['id', 'ASC']], where: { network_id: { [Op.in]: networkIds } } })
    : [];
  const allocations = networkIds.length
    ? await readRows(models.NeutronIpAllocation, {
        order: [
          ['subnet_id', 'ASC'],
          ['ip_address', 'ASC'],
        ],
        where: { network_id: { [Op.in]: networkIds } },
      })
    : [];
  const subnets = networkIds.length
    ? await readRows(models.NeutronSubnet, { order: [['id', 'ASC']], where: { network_id: { [Op.in]: networkIds } } })
    : [];
  const addressesOf = (portId: string) => allocations.filter((a) => a.port_id === portId);
  const instanceIds = [...new Set(onNetworks.filter((p) => p.device_owner.startsWith('compute:') && p.device_id).map((p) => p.device_id))];
  const instances = instanceIds.length
    ? await readRows(models.Instance, { order: [['uuid', 'ASC']], where: { uuid: { [Op.in]: instanceIds } } })
    : [];
  const hostnames = new Map(instances.map((i) => [i.uuid, i.hostname]));

  const networkPlans: NetworkPlan[] = networks
    .filter((n) => n.admin_state_up)
    .map((network) => {
      const dhcpPort = onNetworks.find((p) => p.network_id === network.id && p.device_owner === 'network:dhcp');
      const dhcpSubnets = subnets.filter((s) => s.network_id === network.id && s.enable_dhcp && s.ip_version === 4);
      let dhcp: DhcpPlan | undefined;
      if (dhcpPort && dhcpSubnets.length) {
        const held = addressesOf(dhcpPort.id);
        const served = dhcpSubnets.flatMap((s) => {
          const address = held.find((a) => a.subnet_id === s.id)?.ip_address;
          return address ? [{ cidr: s.cidr, address, gateway: s.gateway_ip, dnsNameservers: parsed<string[]>(s.dns_nameservers, []) }] : [];
        });
        const servedIds = new Set(dhcpSubnets.filter((s) => held.some((a) => a.subnet_id === s.id)).map((s) => s.id));
        const hosts = onNetworks
          .filter((p) => p.network_id === network.id && p.device_owner.startsWith('compute:'))
          .flatMap((p) =>
            addressesOf(p.id)
              .filter((a) => servedIds.has(a.subnet_id))
              .map((a) => ({
                mac: p.mac_address,
                ip: a.ip_address,
                hostname: hostnames.get(p.device_id) ?? `host-${a.ip_address.replace(/[.:]/g, '-')}`,
              })),
          );
        if (served.length) dhcp = { mac: dhcpPort.mac_address, subnets: served, domain: DHCP_DOMAIN, hosts };
      }
      return { id: network.id, mtu: network.mtu, ...(dhcp ? { dhcp } : {}) };
    });
  const planned = new Set(networkPlans.map((n) => n.id));

  const ports: PortPlan[] = bound
    .filter((p) => planned.has(p.network_id) && p.admin_state_up)
    .map((p) => ({
      id: p.id,
      networkId: p.network_id,
      mac: p.mac_address,
      ips: addressesOf(p.id).map((a) => a.ip_address),
      allowedAddressPairs: parsed<Array<{ ip_address: string; mac_address?: string }>>(p.allowed_address_pairs, []),
      portSecurity: p.port_security_enabled,
      securityGroups: p.port_security_enabled ? parsed<string[]>(p.security_groups, []) : [],
      device: options.device?.(p) ?? { kind: 'tap' },
    }));

  const securityGroups = await groupsOf(models, ports);
  return {
    cloudId: options.cloudId,
    stateDir: options.stateDir,
    networks: networkPlans,
    ports,
    securityGroups,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}

async function groupsOf(models: Models, ports: readonly PortPlan[]): Promise<SecurityGroupPlan[]> {
  const direct = [...new Set(ports.flatMap((p) => p.securityGroups))];
  if (!direct.length) return [];
  const rules = await readRows(models.NeutronSecurityGroupRule, { order: [['id', 'ASC']], where: { security_group_id: { [Op.in]: direct } } });
  const all = [...new Set([...direct, ...rules.flatMap((r) => (r.remote_group_id ? [r.remote_group_id] : []))])];
  // A remote group's members may be ports anywhere (any network, any host): their addresses are what its rules match.
  const members = new Map<string, string[]>(all.map((id) => [id, []]));
  const remote = all.filter((id) => rules.some((r) => r.remote_group_id === id));
  if (remote.length) {
    const candidates = await readRows(models.NeutronPort, {
      order: [['id', 'ASC']],
      where: { [Op.or]: remote.map((id) => ({ security_groups: { [Op.like]: `%${id}%` } })) },
    });
    const held = candidates.length
      ? await readRows(models.NeutronIpAllocation, {
          order: [
            ['subnet_id', 'ASC'],
            ['ip_address', 'ASC'],
          ],
          where: { port_id: { [Op.in]: candidates.map((c) => c.id) } },
        })
      : [];
    for (const port of candidates) {
      const groups = parsed<string[]>(port.security_groups, []);
      for (const id of remote) if (groups.includes(id)) members.get(id)!.push(...held.filter((a) => a.port_id === port.id).map((a) => a.ip_address));
    }
  }
  return all.map((id) => ({
    id,
    members: members.get(id) ?? [],
    rules: rules
      .filter((r) => r.security_group_id === id)
      .map((r): SecurityGroupRulePlan => ({
        direction: r.direction === 'egress' ? 'egress' : 'ingress',
        ethertype: r.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
        protocol: r.protocol,
        portRangeMin: r.port_range_min,
        portRangeMax: r.port_range_max,
        remoteIpPrefix: r.remote_ip_prefix,
        remoteGroupId: r.remote_group_id,
      })),
  }));
}
