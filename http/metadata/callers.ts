import { Op } from 'sequelize';
import type { Models } from '../../models/index.js';
import { readRow, readRows } from '../../models/typed.js';
import type { MetadataCaller } from './server.js';

/**
 * Which instance asks, from the identity a proxy vouched for: the port holding the address on that network (or on
 * one of the router's networks), owned by an instance (`compute:*`), and the floating address mapped to it. The
 * same address on another network belongs to someone else: the network or router id is what makes it one.
 */
export function callerLookup(models: Models) {
  return async (kind: 'network' | 'router', id: string, address: string): Promise<MetadataCaller | undefined> => {
    let networks = [id];
    if (kind === 'router') {
      const interfaces = await readRows(models.NeutronPort, { where: { device_id: id, device_owner: 'network:router_interface' } });
      networks = interfaces.map((p) => p.network_id);
      if (!networks.length) return undefined;
    }
    const allocation = await readRow(models.NeutronIpAllocation, { where: { network_id: { [Op.in]: networks }, ip_address: address } });
    if (!allocation) return undefined;
    const port = await readRow(models.NeutronPort, { where: { id: allocation.port_id } });
    if (!port?.device_owner.startsWith('compute:') || !port.device_id) return undefined;
    const floating = await readRow(models.NeutronFloatingIp, { where: { port_id: port.id, fixed_ip_address: address } });
    return { instanceUuid: port.device_id, localIpv4: address, publicIpv4: floating?.floating_ip_address ?? '' };
  };
}
