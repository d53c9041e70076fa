import type { Static } from '@sinclair/typebox';
import type { NetworkRow } from '../../models/network.js';
import type { networkProtocol } from './protocol.js';

export type { NetworkRow };
export type CreateNetwork = Static<(typeof networkProtocol.spec)['create']['payload']>;

/** The CIDR with its host bits cleared: '10.0.0.7/24' → '10.0.0.0/24'. */
export function networkAddress(cidr: string): string {
  const [address, bits] = cidr.split('/');
  const value = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const network = (value & mask) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join('.')}/${bits}`;
}

export const created = (uuid: string, p: CreateNetwork, now: number): NetworkRow => ({
  uuid,
  project_id: p.project_id,
  name: p.name,
  cidr: p.cidr,
  status: 'ACTIVE',
  failure_reason: null,
  created_at: new Date(now),
  updated_at: new Date(now),
  deleted_at: null,
});

export const renamed = (s: NetworkRow, name: string, now: number): NetworkRow => ({ ...s, name, updated_at: new Date(now) });

export const deleted = (s: NetworkRow, now: number): NetworkRow => ({
  ...s,
  status: 'DELETED',
  deleted_at: new Date(now),
  updated_at: new Date(now),
});

export const failed = (s: NetworkRow, reason: string, now: number): NetworkRow => ({
  ...s,
  status: 'ERROR',
  failure_reason: reason,
  updated_at: new Date(now),
});
