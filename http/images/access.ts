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
export function requireOwner(auth: AuthContext, row: ImageRow): void {
  if (!auth.isAdmin && row.owner !== auth.projectId) throw new GlanceError(403, 'You are not permitted to modify this image.');
}

export function requireProject(auth: AuthContext): string {
  if (!auth.projectId) throw new GlanceError(403, 'A project-scoped token is required.');
  return auth.projectId;
}
