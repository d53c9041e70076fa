import { Op, type Transaction } from 'sequelize';
import type { NetworkOps } from '../../actors/network/index.js';
import type { NeutronNetworkRow, NeutronSubnetRow } from '../../models/index.js';
import { readByPk, readRows } from '../../models/typed.js';
import { dbBool } from '../db-values.js';
import { syncDhcpPort } from './dhcp-ports.js';
import { conflict, notFound } from './errors.js';
import { checkQuota } from './quotas.js';
import { now, serialized, type NetworkData } from './services.js';
import { checkOverlap, subnetCidrOf } from './subnet-rules.js';

const networkGone = (id: string) => notFound('NetworkNotFound', `Network ${id} could not be found.`);
const subnetGone = (id: string) => notFound('SubnetNotFound', `Subnet ${id} could not be found.`);

/**
 * The SQL of a network's lifecycle and its subnets, run by the network's actor (on whichever node holds it). The
 * transactions keep the network's turn (`serialized`) because the API's port creates (IPAM, group-committed per
 * network in `port-batch.ts`) write the same network's rows outside the actor.
 */
export function networkOps(s: NetworkData): NetworkOps {
  const m = s.models;
  return {
    async createNetwork(row) {
      const id = row.id as string;
      const project = row.project_id as string;
      await serialized(s, [`project:${project}`, ...(row.is_default ? ['default-external'] : [])], async (transaction) => {
        if (await readByPk(m.NeutronNetwork, id, { transaction })) return;
        if (row.is_default) await refuseSecondDefault(s, id, transaction);
        await checkQuota(s, project, 'network', 1, transaction);
        await m.NeutronNetwork.create(row as unknown as NeutronNetworkRow, { transaction });
      });
      return (await readByPk(m.NeutronNetwork, id))!;
    },

    async updateNetwork(id, changes) {
      const row = await readByPk(m.NeutronNetwork, id);
      if (!row) throw networkGone(id);
      if (changes.shared === false && dbBool(row.shared)) await refuseUnsharingInUse(s, row);
      await serialized(s, changes.is_default ? ['default-external'] : [], async (transaction) => {
        if (changes.is_default) await refuseSecondDefault(s, id, transaction);
        await m.NeutronNetwork.update(
          { ...changes, revision_number: Number(row.revision_number) + 1, updated_at: now(s) },
          { where: { id }, transaction },
        );
      });
      return (await readByPk(m.NeutronNetwork, id))!;
    },

    async deleteNetwork(id) {
      await serialized(s, [`network:${id}`], async (transaction) => {
        // Only the network's own service ports (DHCP) and its floating IPs' go with it (the floating IPs too, as
        // Neutron deletes an external network's floating IPs); any other port keeps it in use.
        const ports = await readRows(m.NeutronPort, { attributes: ['id', 'device_owner'], where: { network_id: id }, transaction });
        if (ports.some((p) => p.device_owner !== 'network:dhcp' && p.device_owner !== 'network:floatingip')) {
          throw conflict('NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
        }
        await m.NeutronFloatingIp.destroy({ where: { floating_network_id: id }, transaction });
        await m.NeutronIpAllocation.destroy({ where: { network_id: id }, transaction });
        await m.NeutronPort.destroy({ where: { network_id: id }, transaction });
        await m.NeutronSubnet.destroy({ where: { network_id: id }, transaction });
        await m.NeutronNetwork.destroy({ where: { id }, transaction });
      });
    },

    async createSubnet(row) {
      const subnet = row as unknown as NeutronSubnetRow;
      await serialized(s, [`network:${subnet.network_id}`, `project:${subnet.project_id}`], async (transaction) => {
        if (await readByPk(m.NeutronSubnet, subnet.id, { transaction })) return;
        const others = await readRows(m.NeutronSubnet, { attributes: ['cidr'], where: { network_id: subnet.network_id }, transaction });
        checkOverlap(subnetCidrOf(subnet.cidr, Number(subnet.ip_version)), subnet.cidr, subnet.network_id, others);
        await checkQuota(s, subnet.project_id, 'subnet', 1, transaction);
        await m.NeutronSubnet.create(subnet, { transaction });
        await syncDhcpPort(s, subnet.network_id, transaction);
      });
      return (await readByPk(m.NeutronSubnet, subnet.id))!;
    },

    async updateSubnet(id, changes) {
      const row = await readByPk(m.NeutronSubnet, id);
      if (!row) throw subnetGone(id);
      const gateway = changes.gateway_ip as string | null | undefined;
      if (gateway) {
        const taken = await readRows(m.NeutronIpAllocation, { attributes: ['port_id'], where: { subnet_id: id, ip_address: gateway }, limit: 1 });
        if (taken.length)
          throw conflict('GatewayIpInUse', `Current gateway ip ${gateway} already in use by port ${taken[0].port_id}. Unable to update.`);
      }
      await serialized(s, [`network:${row.network_id}`], async (transaction) => {
        await m.NeutronSubnet.update(
          { ...changes, revision_number: Number(row.revision_number) + 1, updated_at: now(s) },
          { where: { id }, transaction },
        );
        if ('enable_dhcp' in changes) await syncDhcpPort(s, row.network_id, transaction);
      });
      return (await readByPk(m.NeutronSubnet, id))!;
    },

    async deleteSubnet(id) {
      const row = await readByPk(m.NeutronSubnet, id);
      if (!row) return;
      await serialized(s, [`network:${row.network_id}`], async (transaction) => {
        const held = await readRows(m.NeutronIpAllocation, { attributes: ['port_id'], where: { subnet_id: id }, transaction });
        const owners = held.length
          ? await readRows(m.NeutronPort, { attributes: ['device_owner'], where: { id: { [Op.in]: held.map((h) => h.port_id) } }, transaction })
          : [];
        if (owners.some((p) => p.device_owner !== 'network:dhcp')) {
          throw conflict('SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
        }
        await m.NeutronIpAllocation.destroy({ where: { subnet_id: id }, transaction });
        await m.NeutronSubnet.destroy({ where: { id }, transaction });
        await syncDhcpPort(s, row.network_id, transaction);
      });
    },
  };
}

/** One default external network at a time (Neutron's DefaultExternalNetworkExists). */
async function refuseSecondDefault(s: NetworkData, id: string, transaction: Transaction): Promise<void> {
  const other = await readRows(s.models.NeutronNetwork, {
    attributes: ['id'],
    where: { is_default: true, external: true, id: { [Op.ne]: id } },
    limit: 1,
    transaction,
  });
  if (other.length) throw conflict('DefaultExternalNetworkExists', `A default external network already exists: ${other[0].id}.`);
}

/** A network other projects have ports on stays shared (neutron-lib's InvalidSharedSetting). */
async function refuseUnsharingInUse(s: NetworkData, row: NeutronNetworkRow): Promise<void> {
  const others = await readRows(s.models.NeutronPort, {
    attributes: ['id'],
    where: { network_id: row.id, project_id: { [Op.ne]: row.project_id } },
    limit: 1,
  });
  if (others.length)
    throw conflict('InvalidSharedSetting', `Unable to reconfigure sharing settings for network ${row.id}. Multiple projects are using it.`);
}
