import type { KeyPairRow } from '../../models/index.js';
import { badRequest } from './errors.js';
import type { ComputeContext, ComputeServices } from './services.js';

/** A user's key pair by name. */
export async function findKeyPair(s: ComputeServices, userId: string, name: string): Promise<KeyPairRow | undefined> {
  return (await s.models.KeyPair.findOne({ where: { user_id: userId, name }, raw: true }) ?? undefined) as KeyPairRow | undefined;
}

/**
 * The key a server boots with: `key_name` must name one of the caller's own key pairs (key pairs
 * belong to users), else Nova's 400. Answers the name and the public key to inject.
 */
export async function keyForBoot(s: ComputeServices, ctx: ComputeContext, keyName: string | null): Promise<{ key_name: string | null; key_data: string | null }> {
  if (keyName === null) return { key_name: null, key_data: null };
  const keypair = await findKeyPair(s, ctx.state.auth.userId, keyName);
  if (!keypair) throw badRequest('Invalid key_name provided.');
  return { key_name: keypair.name, key_data: keypair.public_key };
}
