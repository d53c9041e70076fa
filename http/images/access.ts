import type { AuthContext } from '../identity/index.js';
import type { ImageRow } from '../../models/index.js';
import { GlanceError } from './errors.js';

/**
 * Who sees an image, as Glance decides: public and community images everyone; private ones
 * their owner; shared ones their owner and their members; admins everything.
 */
export function visible(auth: Pick<AuthContext, 'isAdmin' | 'projectId'>, row: ImageRow, memberStatus: string | undefined): boolean {
  if (auth.isAdmin || row.owner === auth.projectId) return true;
  if (row.visibility === 'public' || row.visibility === 'community') return true;
  return row.visibility === 'shared' && memberStatus !== undefined;
}

/** Changing an image takes its owner's project (or the admin role). */
export function requireOwner(auth: Pick<AuthContext, 'isAdmin' | 'projectId'>, row: ImageRow): void {
  if (!auth.isAdmin && row.owner !== auth.projectId) throw new GlanceError(403, 'You are not permitted to modify this image.');
}

/**
 * Glance's default policy (secure RBAC, 2023 and later): reading images and members takes the
 * reader role, every write and every download the member role, on the token's project; the
 * admin role passes everything. Roles arrive expanded (member implies reader).
 */
const MEMBER_ACTIONS = [
  'add_image',
  'modify_image',
  'delete_image',
  'upload_image',
  'download_image',
  'deactivate',
  'reactivate',
  'add_member',
  'modify_member',
  'delete_member',
] as const;
const READER_ACTIONS = ['get_image', 'get_images', 'get_member', 'get_members'] as const;
export type ImageAction = (typeof MEMBER_ACTIONS)[number] | (typeof READER_ACTIONS)[number];
const needs = new Map<ImageAction, string>([
  ...MEMBER_ACTIONS.map((a) => [a, 'member'] as const),
  ...READER_ACTIONS.map((a) => [a, 'reader'] as const),
]);

export function authorize(auth: Pick<AuthContext, 'isAdmin' | 'projectId' | 'roles'>, action: ImageAction): void {
  if (auth.isAdmin) return;
  if (!auth.projectId || !auth.roles.includes(needs.get(action)!)) throw new GlanceError(403, `You are not authorized to complete ${action} action.`);
}

export function requireProject(auth: AuthContext): string {
  if (!auth.projectId) throw new GlanceError(403, 'A project-scoped token is required.');
  return auth.projectId;
}
