import { join } from 'node:path';
import type { Models } from '../../models/index.js';
import type { Clock } from '../../runtime/clock.js';
import { Catalog } from './catalog.js';
import { Directory } from './directory.js';
import { RevocationList } from './revocations.js';
import { verifyPassword, type Kdf } from './passwords.js';
import { SecretBox } from './secrets.js';
import type { IdentityServices } from './services.js';
import { TokenSigner } from './token-signer.js';
import { TokenService } from './tokens.js';

export { identityApp } from './app.js';
export { bootstrapIdentity, resetAdminPassword } from './bootstrap.js';
export { identityService } from './identity-service.js';
export type { IdentityServices } from './services.js';
export type { AuthContext, TokenService } from './tokens.js';

export interface IdentityOptions {
  readonly models: Models;
  readonly clock: Clock;
  readonly stateDir: string;
  readonly tokenTtlMs: number;
  readonly revocationPollMs: number;
  /** The password key derivation (tests count its calls). */
  readonly kdf?: Kdf;
  /** Keystone's list_limit (default 1,000). */
  readonly listLimit?: number;
}

export interface Identity {
  readonly services: IdentityServices;
  /** Where clients reach the identity service, set once it listens. */
  publicUrl: string;
  stop(): void;
}

/** Loads the signing keys and revocations and wires the identity service together. */
export async function createIdentity(options: IdentityOptions): Promise<Identity> {
  const directory = new Directory(options.models, options.clock);
  const revocations = new RevocationList(options.models, options.clock, options.revocationPollMs, options.tokenTtlMs);
  await revocations.start();
  const catalog = new Catalog(
    options.models,
    options.clock,
    () => directory.generation,
    () => directory.changed(),
  );
  const identity: Identity = {
    publicUrl: '',
    services: {
      models: options.models,
      directory,
      catalog,
      clock: options.clock,
      tokens: new TokenService(await TokenSigner.load(options.models), revocations, directory, catalog, options.clock, options.tokenTtlMs),
      secrets: SecretBox.open(join(options.stateDir, 'keys', 'credentials.key')),
      listLimit: options.listLimit ?? 1_000,
      verifyPassword: (password, stored) => verifyPassword(password, stored, options.kdf),
      v3Url: () => `${identity.publicUrl}/v3`,
    },
    stop: () => revocations.stop(),
  };
  catalog.register({ type: 'identity', name: 'keystone', url: () => `${identity.publicUrl}/v3` });
  return identity;
}
