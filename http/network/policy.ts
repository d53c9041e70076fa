import type { AuthContext } from '../identity/index.js';
import { policyRefused } from './errors.js';

/**
 * Neutron's default policy (secure RBAC): reading takes the reader role on the resource's project, writing the
 * member role; the admin role passes everything. Shared networks are readable by every project, external ones too.
 * Roles arrive expanded (admin implies member implies reader).
 */
export const isAdmin = (auth: AuthContext) => auth.isAdmin;
export const reads = (auth: AuthContext, project: string) => auth.isAdmin || (auth.projectId === project && auth.roles.includes('reader'));
export const writes = (auth: AuthContext, project: string) => auth.isAdmin || (auth.projectId === project && auth.roles.includes('member'));

/** The caller's project, for resources it creates; a token without one can create nothing. */
export function ownProject(auth: AuthContext, action: string): string {
  if (!auth.projectId) throw policyRefused(`rule:${action}`);
  return auth.projectId;
}

/** A create for `project`: members for their own project, admins for any. */
export function mayCreate(auth: AuthContext, action: string, project: string): void {
  if (!writes(auth, project)) throw policyRefused(`rule:${action}`);
}

/** Attributes only an admin may set (`create_network:shared`, …): Neutron names both rules. */
export function adminAttributes(auth: AuthContext, action: string, given: Record<string, unknown>, attributes: readonly string[]): void {
  if (auth.isAdmin) return;
  const set = attributes.filter((a) => given[a] !== undefined);
  if (set.length) throw policyRefused(`(rule:${action} and ${set.map((a) => `rule:${action}:${a}`).join(' and ')})`);
}
