import type { AccessRule } from './access-rules.js';

export { permits, type AccessRule } from './access-rules.js';

// What compute (and any other service) needs of identity, as an interface: today identity runs in the
// same process, later it may answer from another node. Implemented by http/identity.

/** Who makes a request, as a validated token says. */
export interface Caller {
  readonly userId: string;
  readonly projectId?: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  /** From an application credential with access rules: the only requests the caller may make (see `permits`). */
  readonly accessRules?: readonly AccessRule[];
}

export interface IdentityService {
  /** The caller a token names; rejects (status 401) for a missing, expired or revoked token. */
  authenticate(token: string): Promise<Caller>;
  /** Whether a project of this id exists (Nova asks Keystone before giving a project a flavor). */
  projectExists(id: string): Promise<boolean>;
}
