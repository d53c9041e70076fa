import { createHash } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { NeutronSubnetRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import { formatIp, parseCidr, parseIp } from './ip.js';
import type { Pool } from './views/subnet.js';
import { eui64, isSlaac } from './ipam.js';
import { deletePort, insertServicePort } from './port-store.js';
import { now, type NetworkData } from './services.js';

export const DHCP_OWNER = 'network:dhcp';

/** RFC 4122 version 5 (SHA-1) of `name` under the DNS namespace, as Python's uuid.uuid5(NAMESPACE_DNS, name). */
function uuid5Dns(name: string): string {
  const namespace = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
  const bytes = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The lowest free address of a subnet's pools: the DHCP server sits at a predictable place (`.2` on a fresh subnet, as
 * devstack's usually does), not at a random one that could be the address a user asks for next.
 */
async function lowestFree(s: NetworkData, subnet: NeutronSubnetRow, transaction: Transaction): Promise<string | undefined> {
  if (isSlaac(subnet)) return undefined;
  const version = Number(subnet.ip_version) === 6 ? 6 : 4;
  const taken = new Set(
    (await readRows(s.models.NeutronIpAllocation, { attributes: ['ip_address'], where: { subnet_id: subnet.id }, transaction })).map(
      (r) => parseIp(r.ip_address)!.value,
    ),
  );
  for (const pool of JSON.parse(subnet.allocation_pools) as Pool[]) {
    const last = parseIp(pool.end)!.value;
    // At most taken.size + 1 steps: beyond that many addresses one is free.
    for (let a = parseIp(pool.start)!.value, i = 0; a <= last && i <= taken.size; a++, i++) if (!taken.has(a)) return formatIp(version, a);
  }
  return undefined;
}

/**
 * Neutron's DHCP agent names its port `dhcp<uuid5(host)>-<network>`; Stratus's one DHCP server per network is the
 * data plane's, so the "host" is the service itself. Clients (and Tempest) recognise it by its owner, not this id.
 */
export const dhcpDeviceId = (networkId: string) => `dhcp${uuid5Dns('stratus-dhcp')}-${networkId}`;

/**
 * Brings a network's `network:dhcp` port in line with its subnets, as Neutron's DHCP agent keeps its port: one address
 * on each subnet with `enable_dhcp`, owned by the network's project (its EUI-64 on a SLAAC subnet), none on the others, and no port at all once no
 * subnet has DHCP. A subnet whose pools are full gets no DHCP address (the agent fails alike) rather than failing
 * the change that asked for it. Runs in the caller's transaction, which must hold the network's turn.
 */
export async function syncDhcpPort(s: NetworkData, networkId: string, transaction: Transaction): Promise<void> {
  const m = s.models;
  const subnets = (await readRows(m.NeutronSubnet, { where: { network_id: networkId }, order: [['created_at', 'ASC']], transaction })).filter(
    (x) => x.enable_dhcp,
  );
  const ports = await readRows(m.NeutronPort, { where: { network_id: networkId, device_owner: DHCP_OWNER }, order: [['id', 'ASC']], transaction });
  // One DHCP server per network: a second port (made by hand through the API) is left to whoever made it.
  const mine = ports.find((p) => p.device_id === dhcpDeviceId(networkId));
  if (!subnets.length) {
    if (mine) await deletePort(s, mine.id, transaction);
    return;
  }
  if (!mine) {
    if (ports.length) return;
    const requests = [];
    for (const subnet of subnets) {
      if (isSlaac(subnet)) requests.push({ subnet_id: subnet.id });
      else {
        const address = await lowestFree(s, subnet, transaction);
        if (address) requests.push({ subnet_id: subnet.id, ip_address: address });
      }
    }
    const network = await readByPk(m.NeutronNetwork, networkId, { transaction });
    if (!requests.length || !network) return;
    await insertServicePort(s, transaction, {
      network_id: networkId,
      project_id: network.project_id,
      device_owner: DHCP_OWNER,
      device_id: dhcpDeviceId(networkId),
      requests,
      at: now(s),
    });
    return;
  }
  const held = await readRows(m.NeutronIpAllocation, { where: { port_id: mine.id }, transaction });
  const wanted = new Set(subnets.map((x) => x.id));
  const stale = held.filter((a) => !wanted.has(a.subnet_id));
  if (stale.length) {
    await m.NeutronIpAllocation.destroy({
      where: { port_id: mine.id, subnet_id: { [Op.in]: stale.map((a) => a.subnet_id) } },
      transaction,
    });
  }
  let added = 0;
  for (const subnet of subnets) {
    if (held.some((a) => a.subnet_id === subnet.id)) continue;
    const address = isSlaac(subnet) ? formatIp(6, eui64(parseCidr(subnet.cidr)!, mine.mac_address)) : await lowestFree(s, subnet, transaction);
    if (!address) continue;
    await m.NeutronIpAllocation.create({ subnet_id: subnet.id, ip_address: address, network_id: networkId, port_id: mine.id }, { transaction });
    added++;
  }
  if (stale.length || added) {
    await m.NeutronPort.update({ revision_number: Number(mine.revision_number) + 1, updated_at: now(s) }, { where: { id: mine.id }, transaction });
  }
}
