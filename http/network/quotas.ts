import type { Transaction } from 'sequelize';
import { readRows } from '../../models/typed.js';
import { conflict } from './errors.js';
import type { NetworkData } from './services.js';

/** Neutron's default quotas (quota_network, quota_subnet, …); -1 is unlimited. */
export const DEFAULT_QUOTAS = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
  subnetpool: -1,
} as const;

export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];

/** A project's limits: its own rows over the defaults. */
export async function limitsOf(s: NetworkData, project: string, transaction?: Transaction): Promise<Record<QuotaResource, number>> {
  const rows = await readRows(s.models.NeutronQuota, { where: { project_id: project }, transaction });
  const limits: Record<string, number> = { ...DEFAULT_QUOTAS };
  for (const r of rows) if (r.resource in limits) limits[r.resource] = Number(r.limit);
  return limits;
}

/** How many of each resource a project holds now. */
export async function usageOf(s: NetworkData, project: string, resource: QuotaResource, transaction?: Transaction): Promise<number> {
  const m = s.models;
  const where = { project_id: project };
  switch (resource) {
    case 'network':
      return m.NeutronNetwork.count({ where, transaction });
    case 'subnet':
      return m.NeutronSubnet.count({ where, transaction });
    case 'port':
      return m.NeutronPort.count({ where, transaction });
    case 'router':
      return m.NeutronRouter.count({ where, transaction });
    case 'floatingip':
      return m.NeutronFloatingIp.count({ where, transaction });
    case 'security_group':
      return m.NeutronSecurityGroup.count({ where, transaction });
    case 'security_group_rule':
      return m.NeutronSecurityGroupRule.count({ where, transaction });
    default:
      return 0;
  }
}

/**
 * Refuses a create that would take a project past its limit (neutron-lib's OverQuota). Called inside a
 * transaction serialized on the project, so two creates never both take the last one.
 */
export async function checkQuota(s: NetworkData, project: string, resource: QuotaResource, adding: number, transaction: Transaction): Promise<void> {
  const limit = (await limitsOf(s, project, transaction))[resource];
  if (limit < 0) return;
  if ((await usageOf(s, project, resource, transaction)) + adding > limit) {
    throw conflict('OverQuota', `Quota exceeded for resources: ['${resource}'].`);
  }
}
