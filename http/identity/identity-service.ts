import type { IdentityService } from '../../services/identity/index.js';
import type { IdentityServices } from './services.js';

/** Identity as other services reach it (services/identity): validated tokens and project lookups, through its caches. */
export function identityService(s: Pick<IdentityServices, 'tokens' | 'directory'>): IdentityService {
  return {
    authenticate: (token) => s.tokens.context(token),
    projectExists: async (id) => Boolean(await s.directory.project(id)),
  };
}
