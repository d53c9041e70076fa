import type { InstanceRow } from '../../../models/index.js';
import { addressesOf, portsOfServers, securityGroupNames } from '../../../services/network/index.js';
import type { ComputeServices } from '../services.js';
import type { ViewContext } from './server.js';

/** The servers' ports read once for a whole page: their addresses and security groups, for each server's view. */
export async function networkView(s: ComputeServices, rows: readonly Pick<InstanceRow, 'uuid'>[]): Promise<Pick<ViewContext, 'network'>> {
  if (!s.network) return {};
  const ports = await portsOfServers(
    s.network,
    rows.map((r) => r.uuid),
  );
  const groups = await securityGroupNames(s.network, ports);
  return {
    network: {
      addresses: (uuid) => addressesOf(ports.get(uuid) ?? []),
      securityGroups: (uuid) => groups.get(uuid),
    },
  };
}
