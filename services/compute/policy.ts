import type { Caller } from '../identity/index.js';
import { forbidden } from './errors.js';

/** Who asks the compute service for something: the caller, the project it acts in, and the request's id. */
export interface ComputeCaller {
  readonly auth: Caller;
  readonly project: string;
  readonly correlationId: string;
}

export type RoleLevel = 'reader' | 'member' | 'admin';

/** Nova's default policies: readers read, members change their project's servers, admins do the rest. */
export function authorize(caller: ComputeCaller, rule: string, level: RoleLevel): void {
  if (!permits(caller, level)) throw forbidden(rule);
}

/** Whether the caller holds a role at `level`, for what a view shows rather than refuses (Nova's `fatal=False`). */
export function permits(caller: ComputeCaller, level: RoleLevel): boolean {
  const { roles, isAdmin } = caller.auth;
  return (
    isAdmin || (level === 'reader' ? roles.includes('reader') || roles.includes('member') : level === 'member' ? roles.includes('member') : false)
  );
}
