import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/**
 * Every name of a cloud's data plane carries an id of its state directory, so two clouds on one machine never
 * take each other's interfaces, namespaces, tables or processes. Six hex digits keep interface names (at most 15
 * characters: IFNAMSIZ less the NUL) room for a kind letter and seven hex digits of the resource's UUID.
 */
export const cloudIdOf = (stateDir: string) => createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 6);

const hex7 = (uuid: string) => uuid.replace(/-/g, '').slice(0, 7).toLowerCase();

export type InterfaceKind = 'bridge' | 'port' | 'dhcpHost' | 'dhcpInner';
const LETTER: Record<InterfaceKind, string> = { bridge: 'b', port: 't', dhcpHost: 'd', dhcpInner: 'n' };

export interface DataPlaneNames {
  readonly cloudId: string;
  /** The cloud's host namespace: bridges, taps, the public gateway, and the uplinks of router namespaces. */
  readonly hostNamespace: string;
  /** Every interface the cloud makes starts with this. */
  readonly interfacePrefix: string;
  /** Every namespace the cloud makes starts with this (the host namespace included). */
  readonly namespacePrefix: string;
  /** The nftables tables (one in the inet family, one in the bridge family) inside the host namespace. */
  readonly table: string;
  iface(kind: InterfaceKind, uuid: string): string;
  dhcpNamespace(networkId: string): string;
}

export function namesOf(cloudId: string): DataPlaneNames {
  if (!/^[0-9a-f]{6}$/.test(cloudId)) throw new Error(`a cloud id is six hex digits, not ${JSON.stringify(cloudId)}`);
  const interfacePrefix = `s${cloudId}`;
  return {
    cloudId,
    hostNamespace: `stratus-${cloudId}`,
    interfacePrefix,
    namespacePrefix: `stratus-${cloudId}`,
    table: `stratus-${cloudId}`,
    iface: (kind, uuid) => `${interfacePrefix}${LETTER[kind]}${hex7(uuid)}`,
    dhcpNamespace: (networkId) => `stratus-${cloudId}-dhcp-${networkId}`,
  };
}
