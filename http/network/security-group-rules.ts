import type { Transaction } from 'sequelize';
import type { AuthContext } from '../identity/index.js';
import { conflict } from './errors.js';
import type { NetworkServices } from './services.js';

/**
 * The security groups a port gets: none without port security or on a network device (DHCP, router); asked-for
 * groups otherwise (the project's default group comes with the security groups resource).
 */
export function portSecurityGroups(
  _s: NetworkServices,
  _auth: AuthContext,
  _project: string,
  portSecurity: boolean,
  deviceOwner: string,
  asked: readonly string[] | undefined,
  _transaction: Transaction,
): Promise<string[]> {
  if (!portSecurity && asked?.length) {
    throw conflict(
      'PortSecurityAndIPRequiredForSecurityGroups',
      'Port security must be enabled and port must have an IP address in order to use security groups.',
    );
  }
  if (!portSecurity || deviceOwner.startsWith('network:')) return Promise.resolve([]);
  return Promise.resolve([...(asked ?? [])]);
}
