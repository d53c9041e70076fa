import { forbidden } from './errors.js';
import type { AuthContext } from './tokens.js';

// Keystone's default policy, in brief: managing identity takes the admin role; a user may
// read their own records, change their own password and keep their own EC2 credentials.

export function requireAdmin(auth: AuthContext): void {
  if (!auth.isAdmin) throw forbidden();
}

export function requireAdminOrSelf(auth: AuthContext, userId: string): void {
  if (!auth.isAdmin && auth.userId !== userId) throw forbidden();
}
