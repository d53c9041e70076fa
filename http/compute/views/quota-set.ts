import { QUOTA_RESOURCES, type QuotaResource } from '../../../services/compute/quotas.js';

/** The resources nova-network used, still shown by the older microversions. */
export const QUOTA_SET_NETWORK: readonly QuotaResource[] = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'];
/** The personality-file limits, gone from the views at 2.57. */
export const QUOTA_SET_PERSONALITY: readonly QuotaResource[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
/** The server group limits, missing from quota class sets until 2.50 (Nova's bug 1693168). */
export const QUOTA_SET_SERVER_GROUPS: readonly QuotaResource[] = ['server_groups', 'server_group_members'];

/**
 * A quota set or quota class set as Nova formats it: `id` when given, then each resource not hidden at the
 * request's version, in the quota engine's (sorted) order. The values are limits, or usage objects in the detail.
 */
export function quotaView<T>(values: Readonly<Record<QuotaResource, T>>, hidden: readonly QuotaResource[], id?: string): Record<string, T | string> {
  const view: Record<string, T | string> = id === undefined ? {} : { id };
  for (const resource of [...QUOTA_RESOURCES].sort()) if (!hidden.includes(resource)) view[resource] = values[resource];
  return view;
}
