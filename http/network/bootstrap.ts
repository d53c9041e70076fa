import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NeutronNetworkRow, NeutronRouterRow, NeutronSubnetRow } from '../../models/index.js';
import { syncDhcpPort } from './dhcp-ports.js';
import { insertServicePort } from './port-store.js';
import { cidrString, defaultGateway, defaultPools, subnetCidrOf } from './subnet-rules.js';
import { now, serialized, type NetworkData } from './services.js';

export interface NetworkBootstrap {
  /** The external network's subnet (devstack's 172.24.4.0/24). */
  readonly publicCidr: string;
  /** The demo project's private subnet (devstack's 10.0.0.0/26). */
  readonly privateCidr: string;
}

const networkRow = (project: string, name: string, external: boolean, at: Date): NeutronNetworkRow => ({
  id: randomUUID(),
  project_id: project,
  name,
  description: '',
  admin_state_up: true,
  status: 'ACTIVE',
  shared: false,
  external,
  is_default: external,
  mtu: 1500,
  port_security_enabled: true,
  availability_zone_hints: '[]',
  revision_number: 1,
  created_at: at,
  updated_at: at,
});

function subnetRow(network: NeutronNetworkRow, name: string, cidrText: string, dhcp: boolean, at: Date): NeutronSubnetRow {
  const c = subnetCidrOf(cidrText, cidrText.includes(':') ? 6 : 4);
  const gateway = defaultGateway(c);
  return {
    id: randomUUID(),
    project_id: network.project_id,
    network_id: network.id,
    name,
    description: '',
    ip_version: c.version,
    cidr: cidrString(c),
    gateway_ip: gateway,
    allocation_pools: JSON.stringify(defaultPools(c, gateway)),
    enable_dhcp: dhcp,
    dns_nameservers: '[]',
    host_routes: '[]',
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    revision_number: 1,
    created_at: at,
    updated_at: at,
  };
}

/**
 * What devstack makes on a fresh cloud: an external network `public` (admin's, the default one for floating IPs)
 * and, for the demo project, a network `private` with its subnet and a router `router1` joining it to `public`.
 * Only while there is no network at all (the first start), once across the nodes sharing the database.
 */
export async function bootstrapNetworks(
  s: NetworkData,
  projects: { admin: string; demo?: string },
  options: NetworkBootstrap,
  logger: Logger,
): Promise<boolean> {
  const m = s.models;
  const made = await serialized(s, ['bootstrap'], async (transaction) => {
    if ((await m.NeutronNetwork.count({ transaction })) > 0) return false;
    const at = now(s);
    const pub = networkRow(projects.admin, 'public', true, at);
    await m.NeutronNetwork.create(pub, { transaction });
    await m.NeutronSubnet.create(subnetRow(pub, 'public-subnet', options.publicCidr, false, at), { transaction });
    if (!projects.demo) return true;
    const priv = networkRow(projects.demo, 'private', false, at);
    const privSubnet = subnetRow(priv, 'private-subnet', options.privateCidr, true, at);
    await m.NeutronNetwork.create(priv, { transaction });
    await m.NeutronSubnet.create(privSubnet, { transaction });
    await syncDhcpPort(s, priv.id, transaction);
    const router: NeutronRouterRow = {
      id: randomUUID(),
      project_id: projects.demo,
      name: 'router1',
      description: '',
      admin_state_up: true,
      status: 'ACTIVE',
      gateway_network_id: pub.id,
      gateway_port_id: null,
      enable_snat: true,
      revision_number: 1,
      created_at: at,
      updated_at: at,
    };
    const gateway = await insertServicePort(s, transaction, {
      network_id: pub.id,
      project_id: '',
      device_owner: 'network:router_gateway',
      device_id: router.id,
      at,
    });
    router.gateway_port_id = gateway.port.id;
    await insertServicePort(s, transaction, {
      network_id: priv.id,
      project_id: projects.demo,
      device_owner: 'network:router_interface',
      device_id: router.id,
      requests: [{ subnet_id: privSubnet.id, ip_address: privSubnet.gateway_ip! }],
      at,
    });
    await m.NeutronRouter.create(router, { transaction });
    return true;
  });
  if (made)
    logger.info(
      { public: options.publicCidr, private: options.privateCidr },
      'created the public network and the demo project’s private network and router',
    );
  return made;
}
